//! One served repository: an OCI image layout (a directory, or the demo in
//! memory) opened and checked at startup.
//!
//! Rules implemented (image-spec `image-layout.md`):
//!
//! * `oci-layout` MUST exist and hold `imageLayoutVersion`; we serve major
//!   version 1 (`1.0.0` is the only one defined);
//! * `index.json` MUST exist and is an image index; its descriptors name the
//!   entry points, and `org.opencontainers.image.ref.name` (annotations.md)
//!   names their tags — a full reference's tag part (`…/alpine:3.19`) is
//!   taken as the tag; a layout with one untagged entry serves it as `latest`;
//! * `blobs/<alg>/<encoded>` holds content by digest.
//!
//! Every manifest and index reachable from `index.json` is read (capped at
//! [`MANIFEST_CAP`]), verified against its descriptor and parsed, so the
//! server knows each one's media type (the `Content-Type` it must answer
//! with). Configs and layers are checked for presence and size only — they
//! are streamed later, and clients verify what they receive. Missing blobs
//! below the entry points are warnings (a partial copy is still worth
//! browsing); everything else wrong is an error naming the directory.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;

use super::api::is_valid_tag;
use super::store::{DirStore, ReadError, Store};
use crate::demo::{DemoImage, REF_NAME};
use crate::oci::{
    parse_document, verify, Descriptor, Digest, Document, DocumentError, MediaType, Verified,
    VerifyError,
};
use crate::serve::policy::MANIFEST_CAP;

/// Manifests and indexes read per layout at most.
pub const MAX_DOCUMENTS: usize = 10_000;
/// Index nesting followed at most below `index.json`.
pub const MAX_DEPTH: usize = 4;
/// Warnings kept per layout (the rest are counted).
const MAX_WARNINGS: usize = 20;

/// What is wrong with a layout directory.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    /// DIR does not exist or is not a directory.
    #[error("not a directory ({0})")]
    NotADirectory(std::io::Error),
    /// No `oci-layout` file: not an OCI image layout.
    #[error("no oci-layout file: this is not an OCI image layout (make one with `skopeo copy docker://IMAGE oci:DIR:TAG`, `docker buildx build --output type=oci,tar=false,dest=DIR` or umoci)")]
    NoOciLayout,
    /// `oci-layout` is not `{"imageLayoutVersion": "1.x.y"}`.
    #[error("oci-layout: {0}")]
    BadOciLayout(String),
    /// No `index.json`.
    #[error("no index.json")]
    NoIndex,
    /// No `blobs/` directory.
    #[error("no blobs directory ({0})")]
    NoBlobs(std::io::Error),
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// `index.json` or a document is not what its media type says.
    #[error("{what}: {source}")]
    Document {
        /// `index.json` or the digest.
        what: String,
        /// The parser's complaint.
        source: DocumentError,
    },
    /// An entry point named by `index.json` is not in `blobs/`.
    #[error("index.json names {digest}, which is not in blobs/")]
    MissingEntry {
        /// The digest.
        digest: Digest,
    },
    /// A blob is there but not what its descriptor says (size or digest).
    #[error("blob {digest}: {source}")]
    Corrupt {
        /// The digest.
        digest: Digest,
        /// Size or digest mismatch.
        source: VerifyError,
    },
    /// A blob is over the size cap for a document.
    #[error("blob {digest}: {source}")]
    Read {
        /// The digest.
        digest: Digest,
        /// Why it could not be read.
        source: ReadError,
    },
    /// A `ref.name` annotation that gives no usable tag.
    #[error("index.json: {REF_NAME} {value:?} is not a valid tag")]
    BadTag {
        /// The annotation's value.
        value: String,
    },
    /// Two entries of `index.json` claim one tag.
    #[error("index.json: tag {tag:?} names both {first} and {second}")]
    DuplicateTag {
        /// The tag.
        tag: String,
        /// The first digest.
        first: Digest,
        /// The second.
        second: Digest,
    },
    /// More than [`MAX_DOCUMENTS`] manifests, or nesting deeper than [`MAX_DEPTH`].
    #[error("too many manifests or indexes nested too deep (limits: {MAX_DOCUMENTS} documents, depth {MAX_DEPTH})")]
    TooBig,
}

/// A layout that cannot be served: which one, and what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("--layout {name}={}: {problem}", dir.display())]
pub struct LayoutError {
    /// The repository name it was to be served as.
    pub name: String,
    /// The directory.
    pub dir: PathBuf,
    /// What is wrong (boxed: errors stay small on the happy path).
    pub problem: Box<Problem>,
}

/// Where a repository comes from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The built-in demo image.
    Demo,
    /// A layout directory.
    Dir(PathBuf),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Demo => f.write_str("the built-in demo image"),
            Origin::Dir(d) => write!(f, "{}", d.display()),
        }
    }
}

/// A repository served read-only: its tags, the media type of every
/// manifest and index it holds, and its blobs.
#[derive(Debug)]
pub struct Repository {
    name: String,
    origin: Origin,
    store: Store,
    tags: BTreeMap<String, Descriptor>,
    tag_list: Vec<String>,
    documents: HashMap<Digest, MediaType>,
    warnings: Vec<String>,
}

impl Repository {
    /// The built-in demo, served as `name`.
    pub fn demo(name: &str, demo: DemoImage) -> Result<Repository, LayoutError> {
        let index = demo.layout_index().to_vec();
        let blobs = demo
            .into_blobs()
            .into_iter()
            .map(|(d, b)| (d, Bytes::from(b)))
            .collect();
        let store = Store::Memory(Arc::new(blobs));
        build(name, Origin::Demo, &index, store).map_err(|problem| LayoutError {
            name: name.to_owned(),
            dir: PathBuf::from("(built-in demo)"),
            problem: Box::new(problem),
        })
    }

    /// Opens and checks the layout in `dir`, served as `name`.
    pub fn open(name: &str, dir: &Path) -> Result<Repository, LayoutError> {
        let err = |problem| LayoutError {
            name: name.to_owned(),
            dir: dir.to_path_buf(),
            problem: Box::new(problem),
        };
        let canonical = dir
            .canonicalize()
            .and_then(|d| {
                if d.is_dir() {
                    Ok(d)
                } else {
                    Err(std::io::Error::other("not a directory"))
                }
            })
            .map_err(|e| err(Problem::NotADirectory(e)))?;
        check_oci_layout(&canonical).map_err(err)?;
        let index_path = canonical.join("index.json");
        let index = read_capped(&index_path).map_err(|e| {
            err(match e {
                Problem::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                    Problem::NoIndex
                }
                other => other,
            })
        })?;
        let store = DirStore::open(&canonical).map_err(|e| err(Problem::NoBlobs(e)))?;
        build(name, Origin::Dir(canonical), &index, Store::Dir(store)).map_err(err)
    }

    /// The repository name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Where it comes from.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// Its blobs.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The descriptor a tag names.
    pub fn tag(&self, tag: &str) -> Option<&Descriptor> {
        self.tags.get(tag)
    }

    /// Every tag, sorted.
    pub fn tags(&self) -> &[String] {
        &self.tag_list
    }

    /// The media type of a manifest or index this repository holds.
    pub fn document_type(&self, digest: &Digest) -> Option<&MediaType> {
        self.documents.get(digest)
    }

    /// What was found missing at startup (blobs below the entry points).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
}

fn check_oci_layout(dir: &Path) -> Result<(), Problem> {
    let path = dir.join("oci-layout");
    let bytes = match read_capped(&path) {
        Err(Problem::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            return Err(Problem::NoOciLayout)
        }
        other => other?,
    };
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| Problem::BadOciLayout(format!("not JSON: {e}")))?;
    let version = value
        .get("imageLayoutVersion")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| Problem::BadOciLayout("no imageLayoutVersion string".into()))?;
    if version.split('.').next() != Some("1") {
        return Err(Problem::BadOciLayout(format!(
            "imageLayoutVersion {version:?} is not supported (1.x is)"
        )));
    }
    Ok(())
}

/// A small file at the layout's root, at most [`MANIFEST_CAP`] bytes.
fn read_capped(path: &Path) -> Result<Vec<u8>, Problem> {
    use std::io::Read as _;
    let io = |source| Problem::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut buf = Vec::new();
    file.take(MANIFEST_CAP + 1)
        .read_to_end(&mut buf)
        .map_err(io)?;
    if buf.len() as u64 > MANIFEST_CAP {
        return Err(io(std::io::Error::other(format!(
            "larger than {MANIFEST_CAP} bytes"
        ))));
    }
    Ok(buf)
}

/// The tag a `ref.name` value gives: the value itself when it is a tag, or
/// the part after the last `:` of a full reference (`…/alpine:3.19`).
pub fn tag_of(ref_name: &str) -> Option<&str> {
    if is_valid_tag(ref_name) {
        return Some(ref_name);
    }
    let (_, tag) = ref_name.rsplit_once(':')?;
    (!tag.contains('/') && is_valid_tag(tag)).then_some(tag)
}

/// Reads `index.json` and everything reachable from it.
fn build(
    name: &str,
    origin: Origin,
    index_json: &[u8],
    store: Store,
) -> Result<Repository, Problem> {
    // index.json is not content-addressed: it is the operator's trust root,
    // named by its own digest only to be parsed like any index.
    let verified = Verified::trust_own_digest(index_json.to_vec());
    let document = parse_document(&verified, Some(&MediaType::OciIndex)).map_err(|source| {
        Problem::Document {
            what: "index.json".into(),
            source,
        }
    })?;
    let Document::Index(index) = document else {
        return Err(Problem::Document {
            what: "index.json".into(),
            source: DocumentError::NoMediaType,
        });
    };

    let mut tags: BTreeMap<String, Descriptor> = BTreeMap::new();
    for d in index.manifests() {
        let Some(value) = d.annotation(REF_NAME) else {
            continue;
        };
        let tag = tag_of(value).ok_or_else(|| Problem::BadTag {
            value: value.to_owned(),
        })?;
        if let Some(first) = tags.get(tag) {
            if first.digest() != d.digest() {
                return Err(Problem::DuplicateTag {
                    tag: tag.to_owned(),
                    first: first.digest().clone(),
                    second: d.digest().clone(),
                });
            }
            continue;
        }
        tags.insert(tag.to_owned(), d.clone());
    }
    if let ([only], true) = (index.manifests(), tags.is_empty()) {
        tags.insert("latest".to_owned(), only.clone());
    }

    let mut walk = Walk {
        store: &store,
        documents: HashMap::new(),
        warnings: Vec::new(),
        dropped: 0,
    };
    for d in index.manifests() {
        walk.visit(d, 0)?;
    }
    let mut warnings = walk.warnings;
    if walk.dropped > 0 {
        warnings.push(format!("… and {} more missing blobs", walk.dropped));
    }
    let documents = walk.documents;
    let tag_list = tags.keys().cloned().collect();
    Ok(Repository {
        name: name.to_owned(),
        origin,
        store,
        tags,
        tag_list,
        documents,
        warnings,
    })
}

struct Walk<'a> {
    store: &'a Store,
    documents: HashMap<Digest, MediaType>,
    warnings: Vec<String>,
    dropped: usize,
}

impl Walk<'_> {
    fn warn(&mut self, message: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(message);
        } else {
            self.dropped += 1;
        }
    }

    /// Reads, verifies and parses a manifest or index; checks what it names.
    fn visit(&mut self, d: &Descriptor, depth: usize) -> Result<(), Problem> {
        if self.documents.contains_key(d.digest()) {
            return Ok(());
        }
        if depth > MAX_DEPTH || self.documents.len() >= MAX_DOCUMENTS {
            return Err(Problem::TooBig);
        }
        let digest = d.digest().clone();
        if !(d.media_type().is_index() || d.media_type().is_manifest()) {
            // Not a document (a layout may point at any blob): present and
            // of the right size is all we can say.
            return self.check_blob(d, depth == 0, "index.json");
        }
        let bytes = match self.store.read_document(&digest, MANIFEST_CAP) {
            Ok(Some(b)) => b,
            Ok(None) if depth == 0 => return Err(Problem::MissingEntry { digest }),
            Ok(None) => {
                self.warn(format!(
                    "manifest {digest} is not in blobs/ (an index lists it)"
                ));
                return Ok(());
            }
            Err(source) => return Err(Problem::Read { digest, source }),
        };
        let verified =
            verify(bytes, &digest, Some(d.size())).map_err(|source| Problem::Corrupt {
                digest: digest.clone(),
                source,
            })?;
        let document = parse_document(&verified, Some(d.media_type())).map_err(|source| {
            Problem::Document {
                what: digest.to_string(),
                source,
            }
        })?;
        self.documents
            .insert(digest.clone(), document.media_type().clone());
        match document {
            Document::Index(index) => {
                for child in index.manifests() {
                    self.visit(child, depth + 1)?;
                }
            }
            Document::Manifest(manifest) => {
                let by = format!("manifest {digest}");
                self.check_blob(manifest.config(), false, &by)?;
                for layer in manifest.layers() {
                    let foreign =
                        layer.urls().next().is_some() || layer.media_type().is_non_distributable();
                    if foreign && self.store.size(layer.digest()).ok().flatten().is_none() {
                        continue; // fetched from its URLs, never from a registry
                    }
                    self.check_blob(layer, false, &by)?;
                }
            }
        }
        Ok(())
    }

    fn check_blob(&mut self, d: &Descriptor, required: bool, by: &str) -> Result<(), Problem> {
        let digest = d.digest();
        match self.store.size(digest) {
            Ok(Some(size)) if size == d.size() => Ok(()),
            Ok(Some(actual)) => Err(Problem::Corrupt {
                digest: digest.clone(),
                source: VerifyError::Size {
                    expected: d.size(),
                    actual,
                },
            }),
            Ok(None) if required => Err(Problem::MissingEntry {
                digest: digest.clone(),
            }),
            Ok(None) => {
                self.warn(format!("{by} lists {digest}, which is not in blobs/"));
                Ok(())
            }
            Err(source) => Err(Problem::Read {
                digest: digest.clone(),
                source: ReadError::Io(source),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_from_ref_names() {
        assert_eq!(tag_of("latest"), Some("latest"));
        assert_eq!(tag_of("docker.io/library/alpine:3.19"), Some("3.19"));
        assert_eq!(tag_of("localhost:5000/app"), None);
        assert_eq!(tag_of("a/b"), None);
        assert_eq!(tag_of(""), None);
    }

    #[test]
    fn the_demo_opens_with_its_tags_and_documents() {
        let demo = DemoImage::generate();
        let index = demo.index().clone();
        let images = demo.images().to_vec();
        let repo = Repository::demo("demo", demo).unwrap();
        assert_eq!(repo.tags(), ["latest", "v1"]);
        assert_eq!(
            repo.tag("latest").map(Descriptor::digest),
            Some(index.digest())
        );
        assert_eq!(
            repo.document_type(index.digest()),
            Some(&MediaType::OciIndex)
        );
        for image in &images {
            assert_eq!(
                repo.document_type(image.manifest.digest()),
                Some(&MediaType::OciManifest)
            );
            assert_eq!(repo.document_type(image.config.digest()), None);
        }
        assert!(repo.warnings().is_empty());
    }
}
