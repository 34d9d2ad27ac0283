//! What an SBOM says, whatever its format: packages (name, version,
//! licences, purls) and files (path, checksums, the packages that own
//! them), with a path index to answer "which package owns this file".

use std::collections::BTreeMap;

/// Which format the SBOM was written in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SbomFormat {
    /// SPDX 2.x JSON; the version as written (`SPDX-2.3`).
    Spdx(String),
    /// CycloneDX JSON; the `specVersion` as written (`1.5`).
    CycloneDx(String),
}

impl std::fmt::Display for SbomFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SbomFormat::Spdx(v) => write!(f, "SPDX {}", v.trim_start_matches("SPDX-")),
            SbomFormat::CycloneDx(v) => write!(f, "CycloneDX {v}"),
        }
    }
}

/// One package (SPDX package, CycloneDX component), as written: names and
/// licences are outside text and must be shown inert (text nodes, `inert`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Package {
    /// The document's own id for it (`SPDXRef-…`, `bom-ref`), if any.
    pub id: Option<String>,
    /// The name.
    pub name: String,
    /// The version, if given.
    pub version: Option<String>,
    /// Licences: SPDX ids, names or expressions; `NOASSERTION` and `NONE` left out.
    pub licenses: Vec<String>,
    /// Package URLs (`pkg:apk/alpine/busybox@1.36.1-r2`).
    pub purls: Vec<String>,
}

/// A checksum as the SBOM gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checksum {
    /// The algorithm as written (`SHA256`, `SHA-256`, `SHA1`).
    pub algorithm: String,
    /// The value, lower-cased.
    pub value: String,
}

impl Checksum {
    /// Whether this is a SHA-256 (spelled `SHA256` by SPDX, `SHA-256` by CycloneDX).
    pub fn is_sha256(&self) -> bool {
        let a = self.algorithm.to_ascii_lowercase().replace('-', "");
        a == "sha256"
    }
}

/// One file the SBOM lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SbomFile {
    /// The path as written (`/usr/bin/tool`, `./etc/x`).
    pub path: String,
    /// Its checksums, as given.
    pub checksums: Vec<Checksum>,
    /// The packages that own it, as indexes into [`Sbom::packages`].
    pub owners: Vec<usize>,
}

impl SbomFile {
    /// The SHA-256 the SBOM gives, lower-case hex, if any.
    pub fn sha256(&self) -> Option<&str> {
        self.checksums
            .iter()
            .find(|c| c.is_sha256())
            .map(|c| c.value.as_str())
    }
}

/// An SBOM read into packages and files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sbom {
    /// The format and version.
    pub format: SbomFormat,
    /// The document's name, if it has one.
    pub name: Option<String>,
    /// Every package, in document order (nested CycloneDX components flattened, parents first).
    pub packages: Vec<Package>,
    /// Every file, in document order.
    pub files: Vec<SbomFile>,
    /// Normalised path → indexes into `files` (paths outside the root are not indexed).
    by_path: BTreeMap<Vec<u8>, Vec<usize>>,
}

impl Sbom {
    /// An SBOM from its parts; builds the path index.
    pub(crate) fn new(
        format: SbomFormat,
        name: Option<String>,
        packages: Vec<Package>,
        files: Vec<SbomFile>,
    ) -> Sbom {
        let mut by_path: BTreeMap<Vec<u8>, Vec<usize>> = BTreeMap::new();
        for (i, f) in files.iter().enumerate() {
            if let Some(p) = normalise_path(&f.path) {
                by_path.entry(p).or_default().push(i);
            }
        }
        Sbom {
            format,
            name,
            packages,
            files,
            by_path,
        }
    }

    /// The files the SBOM lists at `path` (a root-relative path of the
    /// tree, as `MergedFs::path` gives it, or any spelling
    /// [`normalise_path`] accepts).
    pub fn files_at(&self, path: &[u8]) -> Vec<&SbomFile> {
        let key = match std::str::from_utf8(path) {
            Ok(s) => normalise_path(s),
            Err(_) => Some(path.to_vec()),
        };
        key.and_then(|k| self.by_path.get(&k))
            .map(|ids| ids.iter().filter_map(|&i| self.files.get(i)).collect())
            .unwrap_or_default()
    }

    /// The packages that own the file at `path`, according to this SBOM:
    /// "which package put this file here". Empty when the SBOM does not
    /// list the file or lists it without an owner.
    pub fn owners(&self, path: &[u8]) -> Vec<&Package> {
        let mut ids: Vec<usize> = self
            .files_at(path)
            .iter()
            .flat_map(|f| f.owners.iter().copied())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids.iter().filter_map(|&i| self.packages.get(i)).collect()
    }
}

/// A path as an SBOM writes it, made root-relative like the tree's paths:
/// leading `/` and `./` dropped, `.` and empty components skipped, `..`
/// resolved. `None` when it climbs out of the root (`../../etc/shadow`):
/// such a path names nothing in the image.
pub fn normalise_path(path: &str) -> Option<Vec<u8>> {
    let mut parts: Vec<&str> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            c => parts.push(c),
        }
    }
    Some(parts.join("/").into_bytes())
}

/// Keeps a licence unless it says nothing (`NOASSERTION`, `NONE`, empty),
/// and only once.
pub(crate) fn push_license(licenses: &mut Vec<String>, value: Option<String>) {
    let Some(v) = value else { return };
    let t = v.trim();
    if t.is_empty() || t == "NOASSERTION" || t == "NONE" || licenses.iter().any(|l| l == t) {
        return;
    }
    licenses.push(t.to_owned());
}
