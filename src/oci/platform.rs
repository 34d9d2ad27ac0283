//! Platforms (`linux/arm64/v8`): parsing a user's choice, normalising the many
//! spellings of one architecture, and matching index entries.
//!
//! Normalisation follows containerd's `platforms.Normalize`
//! (`platforms/database.go`), with one documented difference: containerd's
//! canonical arm64 has *no* variant, ours is `v8` (what registries and
//! `docker buildx` write in indexes). Matching compares normalised values, so
//! the equivalence classes are the same as containerd's: `linux/arm64`,
//! `linux/arm64/v8`, `linux/aarch64` and `Linux/ARM64/8` are one platform.
//!
//! Nothing here looks at the host: the platform to pick is always an input.

use std::fmt;

use crate::oci::json::object_only;

/// Why a platform string cannot be used, or why no entry of an index fits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlatformError {
    /// The string is empty.
    #[error("empty platform (expected os/arch or os/arch/variant, e.g. linux/amd64)")]
    Empty,
    /// Not two or three `/`-separated parts.
    #[error("platform {input:?}: expected os/arch or os/arch/variant (e.g. linux/arm64/v8), got {parts} part(s)")]
    Shape {
        /// What was given.
        input: String,
        /// How many `/`-separated parts it had.
        parts: usize,
    },
    /// One part is empty or has characters outside `[A-Za-z0-9_.-]`.
    #[error("platform {input:?}: {part} {value:?} must be non-empty and use only letters, digits, '_', '.' and '-'")]
    Component {
        /// What was given.
        input: String,
        /// Which part (`os`, `architecture`, `variant`).
        part: &'static str,
        /// The offending part.
        value: String,
    },
    /// The index has no entry that is an image for some platform.
    #[error("the index has no runnable image ({entries})")]
    NoRunnable {
        /// A description of the entries it does have.
        entries: String,
    },
    /// The requested platform is not in the index.
    #[error("platform {wanted} is not in this index; available: {}", available.join(", "))]
    NotAvailable {
        /// The platform asked for, as given.
        wanted: String,
        /// The runnable platforms the index offers, in index order.
        available: Vec<String>,
    },
}

/// The platform an image runs on, as in an index entry's `platform` or an
/// image config's `os`/`architecture`/`variant`/`os.version`/`os.features`.
///
/// Values are kept as written (for display and links); [`Platform::normalized`]
/// gives the canonical form and [`Platform::matches`] compares through it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(remote = "Self")]
pub struct Platform {
    os: String,
    architecture: String,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "empty_as_none"
    )]
    variant: Option<String>,
    #[serde(
        rename = "os.version",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "empty_as_none"
    )]
    os_version: Option<String>,
    #[serde(rename = "os.features", default, skip_serializing_if = "Vec::is_empty")]
    os_features: Vec<String>,
}
object_only!(Platform, "a platform object", serialize);

/// An empty `variant` or `os.version` means "not given" (Go's `omitempty`
/// writes nothing, but some tools write `""`).
fn empty_as_none<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let s: Option<String> = serde::Deserialize::deserialize(d)?;
    Ok(s.filter(|s| !s.is_empty()))
}

fn is_component(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

impl Platform {
    /// A platform from its two required parts.
    pub fn new(os: impl Into<String>, architecture: impl Into<String>) -> Platform {
        Platform {
            os: os.into(),
            architecture: architecture.into(),
            variant: None,
            os_version: None,
            os_features: Vec::new(),
        }
    }

    /// The same platform with a CPU variant (`v7`, `v8`); an empty one means none.
    pub fn with_variant(mut self, variant: impl Into<String>) -> Platform {
        self.variant = Some(variant.into()).filter(|v| !v.is_empty());
        self
    }

    /// The same platform with an OS version (Windows images use it to pick a build).
    pub fn with_os_version(mut self, os_version: impl Into<String>) -> Platform {
        self.os_version = Some(os_version.into()).filter(|v| !v.is_empty());
        self
    }

    /// The same platform with required OS features (`win32k`).
    pub fn with_os_features(mut self, features: Vec<String>) -> Platform {
        self.os_features = features;
        self
    }

    /// `linux/amd64`, the platform the default [`crate::oci::PlatformPolicy`] prefers.
    pub fn linux_amd64() -> Platform {
        Platform::new("linux", "amd64")
    }

    /// Parses a user's `os/arch[/variant]` (as `docker --platform` takes it).
    /// The parts are kept as given; matching normalises them. A lone `arm64`
    /// or `linux` is refused: containerd fills the gap from the host, and we
    /// never consult the host.
    pub fn parse(input: &str) -> Result<Platform, PlatformError> {
        if input.is_empty() {
            return Err(PlatformError::Empty);
        }
        let parts: Vec<&str> = input.splitn(4, '/').collect();
        if !(2..=3).contains(&parts.len()) {
            return Err(PlatformError::Shape {
                input: input.to_owned(),
                parts: input.split('/').count(),
            });
        }
        let names = ["os", "architecture", "variant"];
        for (part, name) in parts.iter().zip(names) {
            if !is_component(part) {
                return Err(PlatformError::Component {
                    input: input.to_owned(),
                    part: name,
                    value: (*part).to_owned(),
                });
            }
        }
        let mut p = Platform::new(parts[0], parts[1]);
        if let Some(v) = parts.get(2) {
            p = p.with_variant(*v);
        }
        Ok(p)
    }

    /// The operating system (`linux`, `windows`).
    pub fn os(&self) -> &str {
        &self.os
    }

    /// The CPU architecture (`amd64`, `arm64`), as written.
    pub fn architecture(&self) -> &str {
        &self.architecture
    }

    /// The CPU variant (`v7`, `v8`), if given.
    pub fn variant(&self) -> Option<&str> {
        self.variant.as_deref()
    }

    /// The OS version (`10.0.17763.5329` for Windows images), if given.
    pub fn os_version(&self) -> Option<&str> {
        self.os_version.as_deref()
    }

    /// Required OS features, if any.
    pub fn os_features(&self) -> &[String] {
        &self.os_features
    }

    /// `unknown/unknown`: what BuildKit writes on attestation entries. Never runnable.
    pub fn is_unknown(&self) -> bool {
        self.os == "unknown" && self.architecture == "unknown"
    }

    /// The canonical spelling, after containerd's `Normalize` (see the module
    /// doc for the arm64 `v8` difference): OS lower-cased, `macos` → `darwin`;
    /// `x86_64`/`x86-64` → `amd64` (variant `v1` dropped); `i386`/`i686` →
    /// `386`; `aarch64` → `arm64` (variant `8`/`v8.0`/none → `v8`,
    /// `9`/`9.0`/`v9.0` → `v9`); `armhf` → `arm/v7`; `armel` → `arm/v6`;
    /// `arm` without variant → `arm/v7`, bare `5`/`6`/`7`/`8` → `vN`.
    pub fn normalized(&self) -> Platform {
        let mut os = self.os.to_ascii_lowercase();
        if os == "macos" {
            os = "darwin".to_owned();
        }
        let arch = self.architecture.to_ascii_lowercase();
        let variant = self.variant.as_deref().unwrap_or("").to_ascii_lowercase();
        let (arch, variant): (&str, String) = match arch.as_str() {
            "i386" | "i686" => ("386", String::new()),
            "x86_64" | "x86-64" | "amd64" => (
                "amd64",
                if variant == "v1" {
                    String::new()
                } else {
                    variant
                },
            ),
            "aarch64" | "arm64" => (
                "arm64",
                match variant.as_str() {
                    "" | "8" | "v8" | "v8.0" => "v8".to_owned(),
                    "9" | "9.0" | "v9.0" => "v9".to_owned(),
                    _ => variant,
                },
            ),
            "armhf" => ("arm", "v7".to_owned()),
            "armel" => ("arm", "v6".to_owned()),
            "arm" => (
                "arm",
                match variant.as_str() {
                    "" | "7" => "v7".to_owned(),
                    "5" | "6" | "8" => format!("v{variant}"),
                    _ => variant,
                },
            ),
            other => (other, variant),
        };
        Platform {
            os,
            architecture: arch.to_owned(),
            variant: Some(variant).filter(|v| !v.is_empty()),
            os_version: self.os_version.clone(),
            os_features: self.os_features.clone(),
        }
    }

    /// Whether `candidate` (an index entry's platform) is this platform:
    /// equal OS, architecture and variant once both are normalised, like
    /// containerd's strict matcher (`linux/arm` does not take `linux/arm/v6`).
    /// When this platform names an OS version, the candidate must have the same one.
    pub fn matches(&self, candidate: &Platform) -> bool {
        let (a, b) = (self.normalized(), candidate.normalized());
        a.os == b.os
            && a.architecture == b.architecture
            && a.variant == b.variant
            && match &self.os_version {
                Some(v) => candidate.os_version.as_deref() == Some(v.as_str()),
                None => true,
            }
    }
}

impl fmt::Display for Platform {
    /// `os/arch[/variant]`, as written (the OS version is shown separately by callers).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Platform {
    type Err = PlatformError;

    /// Same as [`Platform::parse`].
    fn from_str(s: &str) -> Result<Platform, PlatformError> {
        Platform::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        Platform::parse(s).unwrap().normalized().to_string()
    }

    #[test]
    fn parse_keeps_parts_and_prints_them_back() {
        let p = Platform::parse("linux/arm/v7").unwrap();
        assert_eq!(
            (p.os(), p.architecture(), p.variant()),
            ("linux", "arm", Some("v7"))
        );
        assert_eq!(p.to_string(), "linux/arm/v7");
        assert_eq!(
            Platform::parse("Linux/X86_64").unwrap().to_string(),
            "Linux/X86_64"
        );
        assert_eq!(
            "linux/amd64".parse::<Platform>().unwrap(),
            Platform::linux_amd64()
        );
    }

    #[test]
    fn parse_errors_say_what_is_wrong() {
        assert_eq!(Platform::parse(""), Err(PlatformError::Empty));
        assert!(matches!(
            Platform::parse("arm64"),
            Err(PlatformError::Shape { parts: 1, .. })
        ));
        assert!(matches!(
            Platform::parse("linux/arm/v7/extra/more"),
            Err(PlatformError::Shape { parts: 5, .. })
        ));
        let e = Platform::parse("linux//v7").unwrap_err();
        assert!(
            matches!(
                e,
                PlatformError::Component {
                    part: "architecture",
                    ..
                }
            ),
            "{e}"
        );
        let e = Platform::parse("linux/amd64/v 2").unwrap_err();
        assert!(e.to_string().contains("variant \"v 2\""), "{e}");
        let e = Platform::parse("li*nux/amd64").unwrap_err();
        assert!(
            matches!(e, PlatformError::Component { part: "os", .. }),
            "{e}"
        );
    }

    #[test]
    fn normalisation_follows_containerd() {
        let cases = [
            ("linux/aarch64", "linux/arm64/v8"),
            ("linux/arm64", "linux/arm64/v8"),
            ("linux/arm64/8", "linux/arm64/v8"),
            ("linux/arm64/v8.0", "linux/arm64/v8"),
            ("linux/arm64/9.0", "linux/arm64/v9"),
            ("linux/arm64/v8.2", "linux/arm64/v8.2"),
            ("linux/x86_64", "linux/amd64"),
            ("linux/x86-64", "linux/amd64"),
            ("linux/amd64/v1", "linux/amd64"),
            ("linux/amd64/v3", "linux/amd64/v3"),
            ("linux/i386", "linux/386"),
            ("linux/i686", "linux/386"),
            ("linux/armhf", "linux/arm/v7"),
            ("linux/armel", "linux/arm/v6"),
            ("linux/arm", "linux/arm/v7"),
            ("linux/arm/7", "linux/arm/v7"),
            ("linux/arm/5", "linux/arm/v5"),
            ("linux/arm/v6", "linux/arm/v6"),
            ("Linux/AMD64", "linux/amd64"),
            ("macos/arm64", "darwin/arm64/v8"),
            ("MacOS/amd64", "darwin/amd64"),
            ("windows/amd64", "windows/amd64"),
            ("linux/riscv64", "linux/riscv64"),
            ("linux/S390X", "linux/s390x"),
        ];
        for (input, want) in cases {
            assert_eq!(norm(input), want, "{input}");
        }
    }

    #[test]
    fn matching_compares_normalised_values() {
        let p = |s| Platform::parse(s).unwrap();
        assert!(p("linux/arm64").matches(&p("linux/arm64/v8")));
        assert!(p("linux/arm64/v8").matches(&p("linux/arm64")));
        assert!(p("linux/aarch64").matches(&p("linux/arm64/v8")));
        assert!(p("linux/arm").matches(&p("linux/arm/v7")));
        assert!(p("linux/armhf").matches(&p("linux/arm/v7")));
        assert!(p("linux/x86_64").matches(&p("linux/amd64")));
        assert!(!p("linux/arm").matches(&p("linux/arm/v6")));
        assert!(!p("linux/arm64").matches(&p("linux/arm64/v9")));
        assert!(!p("linux/amd64").matches(&p("windows/amd64")));
        assert!(!p("linux/amd64").matches(&p("linux/386")));
        let win = Platform::new("windows", "amd64").with_os_version("10.0.17763.5329");
        assert!(p("windows/amd64").matches(&win));
        assert!(win.matches(&win.clone()));
        assert!(!win.matches(&p("windows/amd64")));
    }

    #[test]
    fn serde_uses_the_spec_field_names() {
        let p: Platform = serde_json::from_str(
            r#"{"architecture":"arm64","os":"linux","variant":"v8","os.version":"","os.features":["x"],"features":["ignored"]}"#,
        )
        .unwrap();
        assert_eq!(p.variant(), Some("v8"));
        assert_eq!(p.os_version(), None);
        assert_eq!(p.os_features(), ["x".to_owned()]);
        let j = serde_json::to_string(&Platform::new("linux", "amd64")).unwrap();
        assert_eq!(j, r#"{"os":"linux","architecture":"amd64"}"#);
        let e = serde_json::from_str::<Platform>(r#"{"os":"linux"}"#).unwrap_err();
        assert!(
            e.to_string().contains("missing field `architecture`"),
            "{e}"
        );
    }
}
