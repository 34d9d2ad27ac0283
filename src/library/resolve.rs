//! Finding an image by what a person types, as Docker's `GetImage` does:
//! a full ID (`sha256:…` or 64 hex), a repository reference (`name[:tag]`,
//! `name@digest`, `:latest` by default), or an ID prefix.

use std::collections::BTreeSet;

use crate::library::{Library, LibraryError};
use crate::oci::{Digest, Reference, ReferenceError};

/// What a name resolved to: one Docker image (one config digest), reachable
/// through one or more manifest records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The IMAGE ID (config digest).
    pub id: Digest,
    /// The manifest records with that ID: the one the reference names, or
    /// every record of the ID when an ID was given.
    pub images: BTreeSet<Digest>,
    /// The normalised reference when the name was a reference (with the
    /// default tag added).
    pub reference: Option<Reference>,
}

fn is_full_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Docker's `TagNameOnly`: a name without tag or digest gets `:latest`.
pub(crate) fn tag_name_only(r: Reference) -> Reference {
    if r.tag().is_none() && r.digest().is_none() {
        r.pull_reference()
    } else {
        r
    }
}

impl Library {
    /// Resolves `name` (see the module documentation). Errors: `No such
    /// image: NAME` (Docker's wording, with the familiar name and default
    /// tag), an ambiguous ID prefix, or an invalid reference when the name
    /// is neither a reference nor an ID prefix.
    pub fn resolve(&self, name: &str) -> Result<Resolved, LibraryError> {
        // ParseAnyReference: a 64-hex string or a bare digest is an image ID.
        let as_id = if is_full_hex(name) {
            format!("sha256:{name}").parse::<Digest>().ok()
        } else if name.contains(':') && !name.contains('/') {
            name.parse::<Digest>().ok()
        } else {
            None
        };
        if let Some(id) = as_id {
            let images = self.images_with_id(&id);
            if images.is_empty() {
                return Err(LibraryError::NoSuchImage(name.to_owned()));
            }
            return Ok(Resolved {
                id,
                images,
                reference: None,
            });
        }
        let parsed = Reference::parse_normalized(name).map(tag_name_only);
        if let Ok(reference) = &parsed {
            let target = if reference.digest().is_some() {
                self.digests.get(reference)
            } else {
                self.tags.get(reference)
            };
            if let Some(manifest) = target {
                if let Some(record) = self.images.get(manifest) {
                    return Ok(Resolved {
                        id: record.config.clone(),
                        images: crate::sort::set_of([manifest.clone()]),
                        reference: Some(reference.clone()),
                    });
                }
            }
        }
        // Search by ID prefix (Docker's digest-set lookup).
        if let Some(id) = self.search_id(name)? {
            return Ok(Resolved {
                images: self.images_with_id(&id),
                id,
                reference: None,
            });
        }
        match parsed {
            Ok(reference) => Err(LibraryError::NoSuchImage(reference.familiar_string())),
            Err(ReferenceError::HexIdentifier { .. }) => {
                Err(LibraryError::NoSuchImage(name.to_owned()))
            }
            Err(e) => Err(LibraryError::reference(name, e)),
        }
    }

    /// The unique image ID starting with `prefix` (hex, optionally after
    /// `sha256:`), if any.
    fn search_id(&self, prefix: &str) -> Result<Option<Digest>, LibraryError> {
        let hex = prefix.strip_prefix("sha256:").unwrap_or(prefix);
        if hex.is_empty() || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Ok(None);
        }
        let ids: BTreeSet<&Digest> = crate::sort::set_of(
            self.images
                .values()
                .map(|r| &r.config)
                .filter(|id| id.hex().starts_with(hex)),
        );
        match ids.len() {
            0 => Ok(None),
            1 => Ok(ids.into_iter().next().cloned()),
            count => Err(LibraryError::Ambiguous {
                prefix: prefix.to_owned(),
                count,
            }),
        }
    }
}

/// Docker's `isImageIDPrefix`: whether `given` is a prefix of the ID, with
/// or without its algorithm.
pub(crate) fn is_id_prefix(id: &Digest, given: &str) -> bool {
    let full = id.to_string();
    full.starts_with(given) || id.hex().starts_with(given)
}
