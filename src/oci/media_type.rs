//! Media types: the names that tell us what a blob or document is *before*
//! we look inside it.
//!
//! Everything downstream dispatches on these (which parser, which decoder,
//! whether a layer may be fetched at all), so they are an enum rather than
//! strings. Names not listed here are kept verbatim in [`MediaType::Other`]:
//! artifacts carry arbitrary types, and refusing them would make an index
//! with one SBOM entry unreadable.
//!
//! Grammar (OCI `defs-descriptor.json`, after RFC 6838 §4.2):
//!
//! ```text
//! ^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$
//! ```

use std::fmt;
use std::str::FromStr;

use crate::oci::Compression;

/// A media type, as found in a descriptor's `mediaType`, a document's own
/// `mediaType` field or an HTTP `Content-Type`.
///
/// The registered names are compared ASCII-case-insensitively (media types
/// are case-insensitive, RFC 6838 §4.2) and print in their canonical
/// lower-case spelling; [`MediaType::Other`] keeps what it was given.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MediaType {
    /// `application/vnd.oci.image.index.v1+json`: a list of manifests, usually one per platform.
    OciIndex,
    /// `application/vnd.oci.image.manifest.v1+json`: one image (or artifact): config plus layers.
    OciManifest,
    /// `application/vnd.oci.image.config.v1+json`: the image configuration.
    OciConfig,
    /// `application/vnd.oci.image.layer.v1.tar`: an uncompressed layer.
    OciLayer,
    /// `application/vnd.oci.image.layer.v1.tar+gzip`: a gzip layer.
    OciLayerGzip,
    /// `application/vnd.oci.image.layer.v1.tar+zstd`: a zstd layer.
    OciLayerZstd,
    /// `application/vnd.oci.image.layer.nondistributable.v1.tar` (deprecated in
    /// image-spec 1.1 but still found): a layer that registries may not serve.
    OciLayerNonDistributable,
    /// `application/vnd.oci.image.layer.nondistributable.v1.tar+gzip`.
    OciLayerNonDistributableGzip,
    /// `application/vnd.oci.image.layer.nondistributable.v1.tar+zstd`.
    OciLayerNonDistributableZstd,
    /// `application/vnd.oci.empty.v1+json`: the `{}` blob artifacts use as a
    /// placeholder config or layer.
    OciEmpty,
    /// `application/vnd.docker.distribution.manifest.list.v2+json`: Docker's index.
    DockerManifestList,
    /// `application/vnd.docker.distribution.manifest.v2+json`: Docker's schema2 manifest.
    DockerManifest,
    /// `application/vnd.docker.container.image.v1+json`: Docker's image config.
    DockerConfig,
    /// `application/vnd.docker.image.rootfs.diff.tar`: an uncompressed Docker layer.
    DockerLayer,
    /// `application/vnd.docker.image.rootfs.diff.tar.gzip`: the usual Docker layer.
    DockerLayerGzip,
    /// `application/vnd.docker.image.rootfs.diff.tar.zstd`: a zstd Docker layer (containerd, moby).
    DockerLayerZstd,
    /// `application/vnd.docker.image.rootfs.foreign.diff.tar`: a layer fetched from its `urls`.
    DockerForeignLayer,
    /// `application/vnd.docker.image.rootfs.foreign.diff.tar.gzip`: Windows base layers.
    DockerForeignLayerGzip,
    /// `application/vnd.docker.distribution.manifest.v1+json`: schema1, recognised only to be refused.
    DockerSchema1,
    /// `application/vnd.docker.distribution.manifest.v1+prettyjws`: signed schema1, likewise refused.
    DockerSchema1Signed,
    /// Any other well-formed media type (artifacts, attestations, vendor types).
    Other(String),
}

/// The registered names, in one table so parsing and printing cannot drift apart.
const KNOWN: &[(&str, MediaType)] = &[
    (
        "application/vnd.oci.image.index.v1+json",
        MediaType::OciIndex,
    ),
    (
        "application/vnd.oci.image.manifest.v1+json",
        MediaType::OciManifest,
    ),
    (
        "application/vnd.oci.image.config.v1+json",
        MediaType::OciConfig,
    ),
    (
        "application/vnd.oci.image.layer.v1.tar",
        MediaType::OciLayer,
    ),
    (
        "application/vnd.oci.image.layer.v1.tar+gzip",
        MediaType::OciLayerGzip,
    ),
    (
        "application/vnd.oci.image.layer.v1.tar+zstd",
        MediaType::OciLayerZstd,
    ),
    (
        "application/vnd.oci.image.layer.nondistributable.v1.tar",
        MediaType::OciLayerNonDistributable,
    ),
    (
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
        MediaType::OciLayerNonDistributableGzip,
    ),
    (
        "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
        MediaType::OciLayerNonDistributableZstd,
    ),
    ("application/vnd.oci.empty.v1+json", MediaType::OciEmpty),
    (
        "application/vnd.docker.distribution.manifest.list.v2+json",
        MediaType::DockerManifestList,
    ),
    (
        "application/vnd.docker.distribution.manifest.v2+json",
        MediaType::DockerManifest,
    ),
    (
        "application/vnd.docker.container.image.v1+json",
        MediaType::DockerConfig,
    ),
    (
        "application/vnd.docker.image.rootfs.diff.tar",
        MediaType::DockerLayer,
    ),
    (
        "application/vnd.docker.image.rootfs.diff.tar.gzip",
        MediaType::DockerLayerGzip,
    ),
    (
        "application/vnd.docker.image.rootfs.diff.tar.zstd",
        MediaType::DockerLayerZstd,
    ),
    (
        "application/vnd.docker.image.rootfs.foreign.diff.tar",
        MediaType::DockerForeignLayer,
    ),
    (
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
        MediaType::DockerForeignLayerGzip,
    ),
    (
        "application/vnd.docker.distribution.manifest.v1+json",
        MediaType::DockerSchema1,
    ),
    (
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
        MediaType::DockerSchema1Signed,
    ),
];

/// Every manifest and index type we can read, most preferred first: the
/// registry's `Accept` header. Schema1 is deliberately absent (we refuse it,
/// so we do not ask for it).
pub const ACCEPT_MANIFESTS: &[MediaType] = &[
    MediaType::OciIndex,
    MediaType::DockerManifestList,
    MediaType::OciManifest,
    MediaType::DockerManifest,
];

/// Why a string is not a media type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaTypeError {
    /// Empty string (or a `Content-Type` with nothing before its parameters).
    #[error("empty media type")]
    Empty,
    /// No `/` between type and subtype.
    #[error("media type {0:?} has no subtype (expected type/subtype)")]
    NoSubtype(String),
    /// Type or subtype breaks the RFC 6838 grammar the OCI schema uses.
    #[error("media type {value:?}: {reason}")]
    Grammar {
        /// The rejected value.
        value: String,
        /// Which rule it broke.
        reason: &'static str,
    },
}

/// Checks one side of `type/subtype` against RFC 6838 `restricted-name`
/// (as the OCI schema spells it: 1 to 127 characters, first alphanumeric).
fn check_restricted_name(
    part: &str,
    value: &str,
    side: &'static str,
) -> Result<(), MediaTypeError> {
    let grammar = |reason| MediaTypeError::Grammar {
        value: value.to_owned(),
        reason,
    };
    let Some(first) = part.bytes().next() else {
        return Err(grammar(if side == "type" {
            "the type is empty"
        } else {
            "the subtype is empty"
        }));
    };
    if !first.is_ascii_alphanumeric() {
        return Err(grammar(if side == "type" {
            "the type must start with a letter or digit"
        } else {
            "the subtype must start with a letter or digit"
        }));
    }
    if part.len() > 127 {
        return Err(grammar(if side == "type" {
            "the type is longer than 127 characters"
        } else {
            "the subtype is longer than 127 characters"
        }));
    }
    let ok = part
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b));
    if !ok {
        return Err(grammar(if side == "type" {
            "the type has a character outside [A-Za-z0-9!#$&^_.+-]"
        } else {
            "the subtype has a character outside [A-Za-z0-9!#$&^_.+-]"
        }));
    }
    Ok(())
}

impl MediaType {
    /// Parses a bare media type (a descriptor's `mediaType`), checking the
    /// RFC 6838 grammar. Registered names match case-insensitively.
    pub fn parse(s: &str) -> Result<MediaType, MediaTypeError> {
        if s.is_empty() {
            return Err(MediaTypeError::Empty);
        }
        let Some((ty, sub)) = s.split_once('/') else {
            return Err(MediaTypeError::NoSubtype(s.to_owned()));
        };
        check_restricted_name(ty, s, "type")?;
        check_restricted_name(sub, s, "subtype")?;
        for (name, mt) in KNOWN {
            if name.eq_ignore_ascii_case(s) {
                return Ok(mt.clone());
            }
        }
        Ok(MediaType::Other(s.to_owned()))
    }

    /// Parses an HTTP `Content-Type` value: parameters (`; charset=utf-8`)
    /// and surrounding whitespace are dropped and the type is lower-cased,
    /// since header values are case-insensitive (RFC 9110 §8.3.1).
    pub fn from_content_type(value: &str) -> Result<MediaType, MediaTypeError> {
        let essence = value.split(';').next().unwrap_or("").trim();
        MediaType::parse(&essence.to_ascii_lowercase())
    }

    /// The media type's name: canonical for registered types, verbatim for [`MediaType::Other`].
    pub fn as_str(&self) -> &str {
        if let MediaType::Other(s) = self {
            return s;
        }
        KNOWN
            .iter()
            .find(|(_, mt)| mt == self)
            .map(|(name, _)| *name)
            .unwrap_or("")
    }

    /// An index of manifests (OCI index or Docker manifest list).
    pub fn is_index(&self) -> bool {
        matches!(self, MediaType::OciIndex | MediaType::DockerManifestList)
    }

    /// A single image manifest (OCI or Docker schema2). Schema1 is not included:
    /// we cannot read it.
    pub fn is_manifest(&self) -> bool {
        matches!(self, MediaType::OciManifest | MediaType::DockerManifest)
    }

    /// Docker's schema1, in either spelling: recognised so it can be refused by name.
    pub fn is_schema1(&self) -> bool {
        matches!(
            self,
            MediaType::DockerSchema1 | MediaType::DockerSchema1Signed
        )
    }

    /// An image configuration (OCI or Docker); artifact configs are not.
    pub fn is_config(&self) -> bool {
        matches!(self, MediaType::OciConfig | MediaType::DockerConfig)
    }

    /// A filesystem layer we know how to scan (distributable or not).
    pub fn is_layer(&self) -> bool {
        self.layer_compression().is_some()
    }

    /// How a layer of this type is compressed, or `None` if this is not a
    /// layer type: the scanner picks its decoder from this, never by sniffing.
    pub fn layer_compression(&self) -> Option<Compression> {
        use MediaType::*;
        match self {
            OciLayer | OciLayerNonDistributable | DockerLayer | DockerForeignLayer => {
                Some(Compression::None)
            }
            OciLayerGzip
            | OciLayerNonDistributableGzip
            | DockerLayerGzip
            | DockerForeignLayerGzip => Some(Compression::Gzip),
            OciLayerZstd | OciLayerNonDistributableZstd | DockerLayerZstd => {
                Some(Compression::Zstd)
            }
            _ => None,
        }
    }

    /// A layer registries are not expected to serve (OCI non-distributable,
    /// Docker foreign): it is listed, not fetched, and its `urls` say where it lives.
    pub fn is_non_distributable(&self) -> bool {
        use MediaType::*;
        matches!(
            self,
            OciLayerNonDistributable
                | OciLayerNonDistributableGzip
                | OciLayerNonDistributableZstd
                | DockerForeignLayer
                | DockerForeignLayerGzip
        )
    }

    /// Whether this is one of Docker's (rather than OCI's) registered names.
    pub fn is_docker(&self) -> bool {
        self.as_str().starts_with("application/vnd.docker.")
    }

    /// The value of an `Accept` header asking for every manifest type we read
    /// ([`ACCEPT_MANIFESTS`], comma-separated).
    pub fn accept_manifests_header() -> String {
        let names: Vec<&str> = ACCEPT_MANIFESTS.iter().map(MediaType::as_str).collect();
        names.join(", ")
    }

    /// Compares two media types the way RFC 6838 says to: ignoring ASCII case
    /// (registered names are already canonical, so this matters for `Other`).
    pub fn same_as(&self, other: &MediaType) -> bool {
        self.as_str().eq_ignore_ascii_case(other.as_str())
    }
}

impl FromStr for MediaType {
    type Err = MediaTypeError;

    /// Same as [`MediaType::parse`].
    fn from_str(s: &str) -> Result<MediaType, MediaTypeError> {
        MediaType::parse(s)
    }
}

impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for MediaType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for MediaType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<MediaType, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        MediaType::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_registered_name_round_trips() {
        for (name, mt) in KNOWN {
            assert_eq!(&MediaType::parse(name).unwrap(), mt, "{name}");
            assert_eq!(mt.as_str(), *name);
            assert_eq!(mt.to_string(), *name);
        }
    }

    #[test]
    fn names_match_case_insensitively_and_other_is_kept() {
        assert_eq!(
            MediaType::parse("Application/VND.OCI.image.manifest.v1+JSON").unwrap(),
            MediaType::OciManifest
        );
        let other = MediaType::parse("application/vnd.Example+type").unwrap();
        assert_eq!(
            other,
            MediaType::Other("application/vnd.Example+type".into())
        );
        assert_eq!(other.as_str(), "application/vnd.Example+type");
        assert!(other.same_as(&MediaType::Other("application/vnd.example+TYPE".into())));
    }

    #[test]
    fn content_type_drops_parameters_and_case() {
        assert_eq!(
            MediaType::from_content_type(
                "application/vnd.docker.distribution.manifest.v2+json; charset=utf-8"
            )
            .unwrap(),
            MediaType::DockerManifest
        );
        assert_eq!(
            MediaType::from_content_type("  Application/JSON ;q=1").unwrap(),
            MediaType::Other("application/json".into())
        );
        assert_eq!(
            MediaType::from_content_type(" ; charset=utf-8"),
            Err(MediaTypeError::Empty)
        );
    }

    #[test]
    fn grammar_is_rfc6838_as_the_oci_schema_spells_it() {
        assert_eq!(MediaType::parse(""), Err(MediaTypeError::Empty));
        assert!(matches!(
            MediaType::parse("application"),
            Err(MediaTypeError::NoSubtype(_))
        ));
        for bad in [
            ".foo/bar",
            "foo/.bar",
            "foo/",
            "/bar",
            "a b/c",
            "foo/bar/baz",
            "foo/b\u{e9}",
        ] {
            assert!(
                matches!(MediaType::parse(bad), Err(MediaTypeError::Grammar { .. })),
                "{bad:?} should be rejected"
            );
        }
        let max = "a".repeat(127);
        assert!(MediaType::parse(&format!("{max}/{max}")).is_ok());
        let long = "a".repeat(128);
        assert!(MediaType::parse(&format!("{long}/bar")).is_err());
        assert!(MediaType::parse(&format!("foo/{long}")).is_err());
        let err = MediaType::parse("foo/.bar").unwrap_err().to_string();
        assert!(err.contains("subtype must start"), "{err}");
    }

    #[test]
    fn classification() {
        use MediaType::*;
        assert!(OciIndex.is_index() && DockerManifestList.is_index());
        assert!(OciManifest.is_manifest() && DockerManifest.is_manifest());
        assert!(!DockerSchema1.is_manifest() && DockerSchema1Signed.is_schema1());
        assert!(OciConfig.is_config() && DockerConfig.is_config() && !OciEmpty.is_config());
        assert_eq!(OciLayer.layer_compression(), Some(Compression::None));
        assert_eq!(OciLayerGzip.layer_compression(), Some(Compression::Gzip));
        assert_eq!(OciLayerZstd.layer_compression(), Some(Compression::Zstd));
        assert_eq!(DockerLayerGzip.layer_compression(), Some(Compression::Gzip));
        assert_eq!(
            DockerForeignLayerGzip.layer_compression(),
            Some(Compression::Gzip)
        );
        assert_eq!(
            OciLayerNonDistributableZstd.layer_compression(),
            Some(Compression::Zstd)
        );
        assert_eq!(OciConfig.layer_compression(), None);
        assert_eq!(
            Other("application/vnd.example+tar".into()).layer_compression(),
            None
        );
        assert!(OciLayerNonDistributableGzip.is_non_distributable());
        assert!(DockerForeignLayerGzip.is_non_distributable());
        assert!(!DockerLayerGzip.is_non_distributable() && !OciLayerGzip.is_non_distributable());
        assert!(DockerConfig.is_docker() && !OciConfig.is_docker());
        assert!(!OciEmpty.is_layer() && OciLayer.is_layer());
    }

    #[test]
    fn accept_list_has_every_index_and_manifest_type_and_no_schema1() {
        for (_, mt) in KNOWN {
            assert_eq!(
                ACCEPT_MANIFESTS.contains(mt),
                mt.is_index() || mt.is_manifest(),
                "{mt}"
            );
        }
        let header = MediaType::accept_manifests_header();
        assert!(header.starts_with("application/vnd.oci.image.index.v1+json, "));
        assert!(!header.contains("v1+prettyjws"));
    }

    #[test]
    fn serde_is_the_string() {
        let j = serde_json::to_string(&MediaType::OciLayerZstd).unwrap();
        assert_eq!(j, "\"application/vnd.oci.image.layer.v1.tar+zstd\"");
        assert_eq!(
            serde_json::from_str::<MediaType>(&j).unwrap(),
            MediaType::OciLayerZstd
        );
        let e = serde_json::from_str::<MediaType>("\"invalid\"").unwrap_err();
        assert!(e.to_string().contains("no subtype"), "{e}");
        assert!(serde_json::from_str::<MediaType>("12").is_err());
    }
}
