//! Image references (`docker.io/library/alpine:3.20@sha256:…`), parsed,
//! normalised and printed exactly as Docker's `distribution/reference` does.
//!
//! Docker reads what a person types in two steps, and so does this module:
//!
//! * the *strict* grammar ([`Reference::parse`], Go's `Parse`) takes a string
//!   as written: `name[:tag][@digest]`, where the name's first component is a
//!   registry host only if it is followed by `/` and is a valid host
//!   (`example.com`, `localhost:5000`, `[::1]:5000`, or any single DNS label);
//! * *normalisation* ([`Reference::parse_normalized`], Go's
//!   `ParseNormalizedNamed`) applies Docker Hub's defaults first: a first
//!   component counts as a registry only if it contains `.` or `:`, is
//!   `localhost`, or has upper-case letters; otherwise the registry is
//!   `docker.io`, and a single-component Docker Hub name gains `library/`.
//!   `index.docker.io` is rewritten to `docker.io`.
//!
//! The *familiar* form is the reverse (`docker.io/library/busybox` prints as
//! `busybox`), and [`Reference::pull_reference`] says what Docker would pull:
//! `:latest` when there is neither tag nor digest, and the digest alone when
//! there are both.
//!
//! Digests in a reference follow the reference grammar
//! (`algorithm:hex{32,}`) and must then parse as a [`Digest`] of a registered
//! algorithm. We register `sha256`, `sha384` and `sha512`; upstream's test
//! binary registers only `sha256`, which is why its vectors call `sha512`
//! "unsupported".

mod error;
mod grammar;
mod pattern;
#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

use crate::oci::Digest;

pub use error::{ReferenceError, ReferenceErrorKind};

/// Docker Hub's domain in normalised names.
pub const DOCKER_HUB_DOMAIN: &str = "docker.io";
/// The host that actually serves Docker Hub's registry API.
pub const DOCKER_HUB_REGISTRY_HOST: &str = "registry-1.docker.io";
/// The legacy Docker Hub domain, normalised to [`DOCKER_HUB_DOMAIN`].
const LEGACY_DOCKER_HUB_DOMAIN: &str = "index.docker.io";
/// The namespace of Docker Hub's official images.
const OFFICIAL_REPO_PREFIX: &str = "library/";
/// The tag Docker pulls when a reference names none.
pub const DEFAULT_TAG: &str = "latest";
/// Longest repository path upstream accepts (`RepositoryNameTotalLengthMax`),
/// counted without the domain.
pub const MAX_PATH_LEN: usize = 255;

/// A syntactically valid image reference: a repository name with an
/// optional tag and an optional digest (both may be present).
///
/// Fields are private so every value has passed the grammar: a domain that is
/// empty or a valid `host[:port]`, a path of lower-case components of at most
/// [`MAX_PATH_LEN`] characters, a valid tag, a digest of a registered
/// algorithm. [`Display`](fmt::Display) writes `name[:tag][@digest]`, which
/// [`Reference::parse`] reads back to an equal value.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reference {
    domain: String,
    path: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

impl Reference {
    /// Parses a reference as written, without Docker Hub defaults (Go's
    /// `Parse`): `busybox` stays `busybox`, with no domain.
    ///
    /// Errors, in upstream's order: [`ReferenceError::NameEmpty`] for `""`;
    /// [`ReferenceError::NameContainsUppercase`] if the input would match in
    /// lower case, else [`ReferenceError::InvalidFormat`]; then
    /// [`ReferenceError::NameTooLong`] for a path over 255 characters; then
    /// the digest's own errors ([`ReferenceError::Digest`]).
    pub fn parse(s: &str) -> Result<Reference, ReferenceError> {
        if s.is_empty() {
            return Err(ReferenceError::NameEmpty);
        }
        let Some(parts) = grammar::split_reference(s) else {
            let lower = grammar::go_to_lower(s);
            if lower != s && grammar::split_reference(&lower).is_some() {
                return Err(ReferenceError::NameContainsUppercase);
            }
            return Err(ReferenceError::InvalidFormat);
        };
        if parts.path.len() > MAX_PATH_LEN {
            return Err(ReferenceError::NameTooLong);
        }
        let digest = parts.digest.map(Digest::from_str).transpose()?;
        Ok(Reference {
            domain: parts.domain.to_owned(),
            path: parts.path.to_owned(),
            tag: parts.tag.map(str::to_owned),
            digest,
        })
    }

    /// Parses what a person types, applying Docker Hub's defaults (Go's
    /// `ParseNormalizedNamed`): `busybox` → `docker.io/library/busybox`,
    /// `index.docker.io/x/y` → `docker.io/x/y`, `localhost:5000/x` unchanged.
    /// No default tag is added here; see [`Reference::pull_reference`].
    ///
    /// A bare 64-hex string is refused ([`ReferenceError::HexIdentifier`]):
    /// it is an image ID, not a name. Upper case in the repository part gives
    /// [`ReferenceError::RemoteNameUppercase`].
    pub fn parse_normalized(s: &str) -> Result<Reference, ReferenceError> {
        if grammar::is_identifier(s) {
            return Err(ReferenceError::HexIdentifier {
                input: s.to_owned(),
            });
        }
        let (domain, remainder) = split_docker_domain(s);
        let remote = remainder
            .split_once(':')
            .map_or(remainder.as_str(), |(r, _)| r);
        if grammar::go_to_lower(remote) != remote {
            return Err(ReferenceError::RemoteNameUppercase {
                remote: remote.to_owned(),
            });
        }
        Reference::parse(&format!("{domain}/{remainder}"))
    }

    /// Parses a normalised reference and returns what Docker would pull (Go's
    /// `ParseDockerRef`): `busybox` → `docker.io/library/busybox:latest`,
    /// `busybox:1@sha256:…` → `docker.io/library/busybox@sha256:…`.
    pub fn parse_docker_ref(s: &str) -> Result<Reference, ReferenceError> {
        Ok(Reference::parse_normalized(s)?.pull_reference())
    }

    /// Parses a reference that must already be written in full normalised
    /// form (Go's `ParseNamed`), for places that store references and must
    /// not accept shorthand: `docker.io/library/foo` is accepted, `foo` and
    /// `docker.io/foo` give [`ReferenceError::NameNotCanonical`].
    pub fn parse_canonical(s: &str) -> Result<Reference, ReferenceError> {
        let reference = Reference::parse_normalized(s)?;
        if reference.to_string() != s {
            return Err(ReferenceError::NameNotCanonical);
        }
        Ok(reference)
    }

    /// Parses a bare repository name, without tag or digest and without
    /// defaults (Go's `WithName`). Anything but a name, including `""`, is
    /// [`ReferenceError::InvalidFormat`]; a path over 255 characters is
    /// [`ReferenceError::NameTooLong`].
    pub fn parse_name(name: &str) -> Result<Reference, ReferenceError> {
        let (domain, path) = grammar::split_name(name).ok_or(ReferenceError::InvalidFormat)?;
        if path.len() > MAX_PATH_LEN {
            return Err(ReferenceError::NameTooLong);
        }
        Ok(Reference {
            domain: domain.to_owned(),
            path: path.to_owned(),
            tag: None,
            digest: None,
        })
    }

    /// The repository name, `domain/path` (or just the path when there is no
    /// domain), e.g. `docker.io/library/busybox`.
    pub fn name(&self) -> String {
        join_name(&self.domain, &self.path)
    }

    /// The registry domain as written or normalised, with its port
    /// (`docker.io`, `localhost:5000`, `[::1]:5000`); `""` for a strictly
    /// parsed name that has none.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The repository path inside the registry (`library/busybox`): what the
    /// distribution API calls the name, in `/v2/<name>/manifests/…`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The tag, if one was given.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest, if one was given.
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// The host to send registry API requests to: Docker Hub's API lives at
    /// `registry-1.docker.io`, not at `docker.io`; other domains serve their
    /// own API. Meant for normalised references (a strictly parsed name may
    /// have an empty domain, returned as is).
    pub fn registry_host(&self) -> &str {
        if self.domain == DOCKER_HUB_DOMAIN {
            DOCKER_HUB_REGISTRY_HOST
        } else {
            &self.domain
        }
    }

    /// The short name Docker shows (`FamiliarName`): `docker.io/` is dropped,
    /// and so is `library/` when a single component follows it.
    /// `docker.io/library/busybox` → `busybox`, `docker.io/foo/bar` →
    /// `foo/bar`, `docker.io/library/foo/bar` → `library/foo/bar`.
    pub fn familiar_name(&self) -> String {
        let (domain, path) = familiarize(&self.domain, &self.path);
        join_name(domain, path)
    }

    /// The short form of the whole reference (`FamiliarString`):
    /// `busybox:latest@sha256:…`.
    pub fn familiar_string(&self) -> String {
        let mut s = self.familiar_name();
        self.push_suffix(&mut s);
        s
    }

    /// The same reference with `tag` set, keeping the digest (Go's `WithTag`).
    /// [`ReferenceError::InvalidTag`] unless `tag` matches
    /// `[\w][\w.-]{0,127}`.
    pub fn with_tag(&self, tag: &str) -> Result<Reference, ReferenceError> {
        if !grammar::is_tag(tag) {
            return Err(ReferenceError::InvalidTag);
        }
        Ok(Reference {
            tag: Some(tag.to_owned()),
            ..self.clone()
        })
    }

    /// The same reference with `digest` set, keeping the tag (Go's
    /// `WithDigest`). Infallible: a [`Digest`] is valid by construction.
    pub fn with_digest(&self, digest: Digest) -> Reference {
        Reference {
            digest: Some(digest),
            ..self.clone()
        }
    }

    /// The repository alone, without tag or digest (Go's `TrimNamed`).
    pub fn name_only(&self) -> Reference {
        Reference {
            domain: self.domain.clone(),
            path: self.path.clone(),
            tag: None,
            digest: None,
        }
    }

    /// What Docker pulls for this reference (the second half of Go's
    /// `ParseDockerRef`): with a digest, the digest alone (a digest pins
    /// content, so it wins over a tag); with only a tag, unchanged; with
    /// neither, tagged [`DEFAULT_TAG`].
    pub fn pull_reference(&self) -> Reference {
        match (&self.tag, &self.digest) {
            (Some(_), Some(_)) => Reference {
                tag: None,
                ..self.clone()
            },
            (None, None) => Reference {
                tag: Some(DEFAULT_TAG.to_owned()),
                ..self.clone()
            },
            _ => self.clone(),
        }
    }

    /// Whether `pattern` matches this reference the way `docker image ls
    /// --filter reference=PATTERN` decides (Go's `FamiliarMatch`): Go
    /// `path.Match` against the familiar string, then against the familiar
    /// name. `*` never crosses a `/`. A malformed pattern is
    /// [`ReferenceError::BadPattern`].
    pub fn familiar_match(&self, pattern: &str) -> Result<bool, ReferenceError> {
        let bad = |_| ReferenceError::BadPattern;
        if pattern::path_match(pattern, &self.familiar_string()).map_err(bad)? {
            return Ok(true);
        }
        Ok(pattern::path_match(pattern, &self.familiar_name()).unwrap_or(false))
    }

    fn push_suffix(&self, s: &mut String) {
        if let Some(tag) = &self.tag {
            s.push(':');
            s.push_str(tag);
        }
        if let Some(digest) = &self.digest {
            s.push('@');
            s.push_str(&digest.to_string());
        }
    }
}

/// Go's `splitDockerDomain`: decides whether the first component is a
/// registry, applying Docker Hub's defaults. Returns `(domain, remainder)`.
fn split_docker_domain(name: &str) -> (&str, String) {
    let Some((maybe_domain, maybe_remote)) = name.split_once('/') else {
        // A single component is always a Docker Hub official image, even
        // `localhost` or `example.com` (upstream FIXME), so `ubuntu:22.04`
        // is never read as host:port.
        return (DOCKER_HUB_DOMAIN, format!("{OFFICIAL_REPO_PREFIX}{name}"));
    };
    let (domain, remote) = if maybe_domain == "localhost" {
        (maybe_domain, maybe_remote)
    } else if maybe_domain == LEGACY_DOCKER_HUB_DOMAIN {
        (DOCKER_HUB_DOMAIN, maybe_remote)
    } else if maybe_domain.contains(['.', ':'])
        || grammar::go_to_lower(maybe_domain) != maybe_domain
    {
        // A dot or colon looks like a host or IP; upper case is not allowed in
        // a namespace, so it must be a host too.
        (maybe_domain, maybe_remote)
    } else {
        (DOCKER_HUB_DOMAIN, name)
    };
    if domain == DOCKER_HUB_DOMAIN && !remote.contains('/') {
        (domain, format!("{OFFICIAL_REPO_PREFIX}{remote}"))
    } else {
        (domain, remote.to_owned())
    }
}

/// Go's `familiarizeName`.
fn familiarize<'a>(domain: &'a str, path: &'a str) -> (&'a str, &'a str) {
    if domain != DOCKER_HUB_DOMAIN {
        return (domain, path);
    }
    match path.strip_prefix(OFFICIAL_REPO_PREFIX) {
        Some(rest) if !rest.contains('/') => ("", rest),
        _ => ("", path),
    }
}

fn join_name(domain: &str, path: &str) -> String {
    if domain.is_empty() {
        path.to_owned()
    } else {
        format!("{domain}/{path}")
    }
}

impl fmt::Display for Reference {
    /// `name[:tag][@digest]`, the normalised form for a normalised reference.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = self.name();
        self.push_suffix(&mut s);
        f.write_str(&s)
    }
}

impl fmt::Debug for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Reference({self})")
    }
}

impl FromStr for Reference {
    type Err = ReferenceError;

    /// The strict parser, [`Reference::parse`], so that `to_string()` and
    /// `parse()` round-trip. Use [`Reference::parse_normalized`] for input
    /// typed by a person.
    fn from_str(s: &str) -> Result<Reference, ReferenceError> {
        Reference::parse(s)
    }
}

impl serde::Serialize for Reference {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Reference {
    /// Strict, like upstream's `Field.UnmarshalText`: stored references are
    /// read back exactly as written.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Reference, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Reference::parse(&s).map_err(|e| serde::de::Error::custom(format!("reference {s:?}: {e}")))
    }
}

/// What `docker image inspect`/`rmi` accept: an image ID or digest, or a
/// reference to a named image (Go's `ParseAnyReference`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AnyReference {
    /// An image ID (`sha256:…`, or 64 hex digits taken as sha256).
    Digest(Digest),
    /// A normalised named reference.
    Named(Reference),
}

impl AnyReference {
    /// Reads 64 lower-case hex digits as a `sha256` image ID, then tries a
    /// full digest, then a normalised reference.
    pub fn parse(s: &str) -> Result<AnyReference, ReferenceError> {
        if grammar::is_identifier(s) {
            return Ok(AnyReference::Digest(Digest::from_str(&format!(
                "sha256:{s}"
            ))?));
        }
        if let Ok(digest) = Digest::from_str(s) {
            return Ok(AnyReference::Digest(digest));
        }
        Reference::parse_normalized(s).map(AnyReference::Named)
    }

    /// The familiar string: the digest, or the reference's
    /// [`Reference::familiar_string`].
    pub fn familiar_string(&self) -> String {
        match self {
            AnyReference::Digest(d) => d.to_string(),
            AnyReference::Named(r) => r.familiar_string(),
        }
    }

    /// [`Reference::familiar_match`]; a digest is matched as its string.
    pub fn familiar_match(&self, pattern: &str) -> Result<bool, ReferenceError> {
        match self {
            AnyReference::Digest(d) => {
                pattern::path_match(pattern, &d.to_string()).map_err(|_| ReferenceError::BadPattern)
            }
            AnyReference::Named(r) => r.familiar_match(pattern),
        }
    }
}

impl fmt::Display for AnyReference {
    /// The digest, or the full normalised reference.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnyReference::Digest(d) => fmt::Display::fmt(d, f),
            AnyReference::Named(r) => fmt::Display::fmt(r, f),
        }
    }
}
