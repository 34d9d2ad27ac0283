//! The read-only distribution API as pure decisions: which route a `/v2/…`
//! path is, the distribution-style errors, tag-list pagination and `Range`.
//! Tested on values; [`super`] carries them out.
//!
//! Spec references: OCI distribution-spec `spec.md` — "Pulling manifests",
//! "Pulling blobs" (and `Range`), "Listing tags" (`n`, `last`, `Link`), and
//! "Error codes"; the name and tag grammars of `docker/distribution/reference`.

use std::fmt;
use std::str::FromStr;

use hyper::StatusCode;

use crate::oci::{Digest, Reference};

/// Tags a single tags/list page holds at most, whatever `n` asks.
pub const MAX_PAGE: usize = 10_000;

/// What a manifest request names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestRef {
    /// A tag (`latest`), checked against the tag grammar.
    Tag(String),
    /// A digest, parsed: only these ever become file names.
    Digest(Digest),
}

impl fmt::Display for ManifestRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ManifestRef::Tag(t) => f.write_str(t),
            ManifestRef::Digest(d) => write!(f, "{d}"),
        }
    }
}

/// A request path under `/v2`, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `/v2/`: the API version check.
    Base,
    /// `/v2/_catalog`: the repositories served.
    Catalog,
    /// `/v2/<name>/manifests/<reference>`.
    Manifest {
        /// The repository.
        name: String,
        /// The tag or digest.
        reference: ManifestRef,
    },
    /// `/v2/<name>/blobs/<digest>`.
    Blob {
        /// The repository.
        name: String,
        /// The blob.
        digest: Digest,
    },
    /// `/v2/<name>/tags/list`.
    Tags {
        /// The repository.
        name: String,
    },
}

/// The distribution-spec error codes this server answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// The repository name is malformed (400).
    NameInvalid,
    /// No repository of that name is served (404).
    NameUnknown,
    /// No manifest for that tag or digest (404).
    ManifestUnknown,
    /// No blob with that digest (404).
    BlobUnknown,
    /// The digest is malformed (400).
    DigestInvalid,
    /// The tag is malformed (400).
    TagInvalid,
    /// `n` is not a number (400).
    PaginationNumberInvalid,
    /// The `Range` cannot be satisfied (416).
    RangeInvalid,
    /// A write, or a path this server does not offer (405 or 404).
    Unsupported,
}

impl ErrorCode {
    /// The code as it appears in the JSON body.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::NameInvalid => "NAME_INVALID",
            ErrorCode::NameUnknown => "NAME_UNKNOWN",
            ErrorCode::ManifestUnknown => "MANIFEST_UNKNOWN",
            ErrorCode::BlobUnknown => "BLOB_UNKNOWN",
            ErrorCode::DigestInvalid => "DIGEST_INVALID",
            ErrorCode::TagInvalid => "TAG_INVALID",
            ErrorCode::PaginationNumberInvalid => "PAGINATION_NUMBER_INVALID",
            ErrorCode::RangeInvalid => "RANGE_INVALID",
            ErrorCode::Unsupported => "UNSUPPORTED",
        }
    }
}

/// A distribution-style error: a code, a status and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", code.as_str())]
pub struct ApiError {
    /// The code.
    pub code: ErrorCode,
    /// The HTTP status.
    pub status: StatusCode,
    /// What was wrong, naming the object.
    pub message: String,
}

impl ApiError {
    /// An error with the code's usual status.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        let status = match code {
            ErrorCode::NameInvalid
            | ErrorCode::DigestInvalid
            | ErrorCode::TagInvalid
            | ErrorCode::PaginationNumberInvalid => StatusCode::BAD_REQUEST,
            ErrorCode::NameUnknown
            | ErrorCode::ManifestUnknown
            | ErrorCode::BlobUnknown
            | ErrorCode::Unsupported => StatusCode::NOT_FOUND,
            ErrorCode::RangeInvalid => StatusCode::RANGE_NOT_SATISFIABLE,
        };
        ApiError {
            code,
            status,
            message: message.into(),
        }
    }

    /// A write or other method: `UNSUPPORTED` with 405.
    pub fn method(method: &str) -> ApiError {
        ApiError {
            code: ErrorCode::Unsupported,
            status: StatusCode::METHOD_NOT_ALLOWED,
            message: format!(
                "{method} is not supported: this registry is read-only (GET, HEAD, OPTIONS)"
            ),
        }
    }

    /// The JSON body: `{"errors":[{"code":…,"message":…}]}`.
    pub fn body(&self) -> Vec<u8> {
        let value = serde_json::json!({
            "errors": [{"code": self.code.as_str(), "message": self.message}]
        });
        serde_json::to_vec(&value).unwrap_or_default()
    }
}

/// Whether `name` is a repository path (`path-component ("/" path-component)*`,
/// lower case, at most 255 characters with a domain), by the reference parser.
pub fn is_valid_name(name: &str) -> bool {
    if name.is_empty() || name.len() > 255 {
        return false;
    }
    Reference::parse(&format!("localhost/{name}")).is_ok_and(|r| {
        r.domain() == "localhost" && r.path() == name && r.tag().is_none() && r.digest().is_none()
    })
}

/// Whether `tag` matches `[\w][\w.-]{0,127}`, by the reference parser.
pub fn is_valid_tag(tag: &str) -> bool {
    !tag.is_empty()
        && Reference::parse(&format!("localhost/x:{tag}"))
            .is_ok_and(|r| r.tag() == Some(tag) && r.digest().is_none())
}

/// Parses a request path (still percent-encoded, as received).
///
/// Nothing in a valid path needs percent-encoding, so any `%` is refused —
/// `%2e%2e`, `%2f` and friends never reach a lookup. A blob or manifest
/// digest is parsed with [`Digest`] (algorithm and exact hex length), so
/// `sha256:../../x` is `DIGEST_INVALID` before any file name exists.
pub fn parse_route(path: &str) -> Result<Route, ApiError> {
    let Some(rest) = path.strip_prefix("/v2") else {
        return Err(ApiError::new(ErrorCode::Unsupported, "not a /v2 path"));
    };
    if rest.is_empty() || rest == "/" {
        return Ok(Route::Base);
    }
    let Some(rest) = rest.strip_prefix('/') else {
        return Err(ApiError::new(ErrorCode::Unsupported, "not a /v2 path"));
    };
    if rest.contains('%') {
        return Err(ApiError::new(
            ErrorCode::NameInvalid,
            "percent-encoding is not allowed in registry paths",
        ));
    }
    if rest == "_catalog" {
        return Ok(Route::Catalog);
    }
    if let Some(name) = rest.strip_suffix("/tags/list") {
        return Ok(Route::Tags {
            name: checked_name(name)?,
        });
    }
    // The last marker decides: a repository name may itself contain
    // `manifests` or `blobs` components.
    let manifests = rest.rfind("/manifests/");
    let blobs = rest.rfind("/blobs/");
    if let Some(at) = manifests.filter(|m| blobs.is_none_or(|b| *m > b)) {
        let name = checked_name(&rest[..at])?;
        let reference = &rest[at + "/manifests/".len()..];
        let reference = if reference.contains(':') {
            ManifestRef::Digest(parse_digest(reference)?)
        } else if is_valid_tag(reference) {
            ManifestRef::Tag(reference.to_owned())
        } else {
            return Err(ApiError::new(
                ErrorCode::TagInvalid,
                format!("invalid tag {reference:?}"),
            ));
        };
        return Ok(Route::Manifest { name, reference });
    }
    if let Some(at) = blobs {
        let name = checked_name(&rest[..at])?;
        return Ok(Route::Blob {
            name,
            digest: parse_digest(&rest[at + "/blobs/".len()..])?,
        });
    }
    Err(ApiError::new(
        ErrorCode::Unsupported,
        format!("no such endpoint: {path}"),
    ))
}

fn checked_name(name: &str) -> Result<String, ApiError> {
    if is_valid_name(name) {
        Ok(name.to_owned())
    } else {
        Err(ApiError::new(
            ErrorCode::NameInvalid,
            format!("invalid repository name {name:?}"),
        ))
    }
}

fn parse_digest(s: &str) -> Result<Digest, ApiError> {
    Digest::from_str(s)
        .map_err(|e| ApiError::new(ErrorCode::DigestInvalid, format!("invalid digest: {e}")))
}

/// The tags/list query: `n` (page size) and `last` (the tag to start after).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagQuery {
    /// At most this many tags (capped at [`MAX_PAGE`]).
    pub n: Option<usize>,
    /// Only tags lexically after this one.
    pub last: Option<String>,
}

/// Parses `n=…&last=…`; other parameters are ignored.
pub fn parse_tag_query(query: Option<&str>) -> Result<TagQuery, ApiError> {
    let mut out = TagQuery::default();
    for pair in query.unwrap_or_default().split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "n" => {
                let n: usize = value.parse().map_err(|_| {
                    ApiError::new(
                        ErrorCode::PaginationNumberInvalid,
                        format!("n={value:?} is not a number"),
                    )
                })?;
                out.n = Some(n.min(MAX_PAGE));
            }
            // Tags need no percent-encoding; an encoded one matches nothing.
            "last" => out.last = Some(value.to_owned()),
            _ => {}
        }
    }
    Ok(out)
}

/// One page of `tags` (sorted): the tags after `last`, at most `n`, and the
/// tag to continue after when more remain.
pub fn paginate<'a>(tags: &'a [String], query: &TagQuery) -> (&'a [String], Option<&'a str>) {
    let start = match &query.last {
        Some(last) => tags.partition_point(|t| t.as_str() <= last.as_str()),
        None => 0,
    };
    let rest = tags.get(start..).unwrap_or_default();
    match query.n {
        Some(n) if n < rest.len() => {
            let page = &rest[..n];
            let next = page.last().map(String::as_str);
            // n=0 asks for nothing and gets no continuation either.
            (page, next)
        }
        _ => (rest, None),
    }
}

/// The `Link` header for the next page (distribution-spec "Listing tags").
pub fn next_link(name: &str, n: usize, last: &str) -> String {
    format!("</v2/{name}/tags/list?n={n}&last={last}>; rel=\"next\"")
}

/// What to send for a `Range` header on a blob of `len` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeAnswer {
    /// The whole blob (no header, several ranges, or one we ignore).
    Full,
    /// Bytes `start..=end` (206).
    Partial {
        /// First byte.
        start: u64,
        /// Last byte, inclusive.
        end: u64,
    },
    /// 416 with `Content-Range: bytes */len`.
    Unsatisfiable,
}

/// Interprets a single `bytes=` range (RFC 9110 §14.1.2): `a-b`, `a-`, or
/// the suffix `-n`. A malformed value or a multi-range request is ignored
/// (answered in full), as §14.2 allows.
pub fn parse_range(header: Option<&str>, len: u64) -> RangeAnswer {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return RangeAnswer::Full;
    };
    if spec.contains(',') {
        return RangeAnswer::Full;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return RangeAnswer::Full;
    };
    let number = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (start, end) = match (a.is_empty(), number(a), number(b)) {
        (true, _, Some(suffix)) => {
            if suffix == 0 || len == 0 {
                return RangeAnswer::Unsatisfiable;
            }
            (len.saturating_sub(suffix), len - 1)
        }
        (false, Some(start), None) if b.is_empty() => (start, len.saturating_sub(1)),
        (false, Some(start), Some(end)) if start <= end => (start, end.min(len.saturating_sub(1))),
        _ => return RangeAnswer::Full,
    };
    if start >= len {
        return RangeAnswer::Unsatisfiable;
    }
    RangeAnswer::Partial { start, end }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn code(path: &str) -> ErrorCode {
        parse_route(path).unwrap_err().code
    }

    #[test]
    fn routes() {
        assert_eq!(parse_route("/v2/"), Ok(Route::Base));
        assert_eq!(parse_route("/v2"), Ok(Route::Base));
        assert_eq!(parse_route("/v2/_catalog"), Ok(Route::Catalog));
        assert_eq!(
            parse_route("/v2/team/app/manifests/v1.0"),
            Ok(Route::Manifest {
                name: "team/app".into(),
                reference: ManifestRef::Tag("v1.0".into())
            })
        );
        assert_eq!(
            parse_route(&format!("/v2/demo/manifests/{D}")),
            Ok(Route::Manifest {
                name: "demo".into(),
                reference: ManifestRef::Digest(D.parse().unwrap())
            })
        );
        assert_eq!(
            parse_route(&format!("/v2/a/manifests/b/blobs/{D}")),
            Ok(Route::Blob {
                name: "a/manifests/b".into(),
                digest: D.parse().unwrap()
            })
        );
        assert_eq!(
            parse_route("/v2/demo/tags/list"),
            Ok(Route::Tags {
                name: "demo".into()
            })
        );
    }

    #[test]
    fn hostile_paths_are_refused_before_any_lookup() {
        assert_eq!(
            code("/v2/demo/blobs/sha256:../../x"),
            ErrorCode::DigestInvalid
        );
        assert_eq!(
            code("/v2/demo/blobs/sha256:%2e%2e%2fx"),
            ErrorCode::NameInvalid
        );
        assert_eq!(code("/v2/demo/blobs/..%2f..%2fetc"), ErrorCode::NameInvalid);
        assert_eq!(code("/v2/../demo/blobs/x"), ErrorCode::NameInvalid);
        assert_eq!(code("/v2/demo/manifests/..%2Fx"), ErrorCode::NameInvalid);
        assert_eq!(code("/v2/demo/manifests/../x"), ErrorCode::TagInvalid);
        assert_eq!(code("/v2/demo/manifests/.x"), ErrorCode::TagInvalid);
        assert_eq!(code("/v2/Demo/tags/list"), ErrorCode::NameInvalid);
        assert_eq!(code("/v2//demo/tags/list"), ErrorCode::NameInvalid);
        assert_eq!(code("/v2/demo/blobs/sha256:abc"), ErrorCode::DigestInvalid);
        assert_eq!(
            code("/v2/demo/blobs/md5:d41d8cd98f00b204e9800998ecf8427e"),
            ErrorCode::DigestInvalid
        );
        assert_eq!(code("/v2/demo/blobs/uploads/"), ErrorCode::DigestInvalid);
        assert_eq!(code("/v2/demo/referrers/x"), ErrorCode::Unsupported);
        assert_eq!(code("/v2x"), ErrorCode::Unsupported);
    }

    #[test]
    fn names_and_tags() {
        assert!(is_valid_name("demo"));
        assert!(is_valid_name("team/app-1.x"));
        assert!(!is_valid_name("Team"));
        assert!(!is_valid_name("a//b"));
        assert!(!is_valid_name("a:b"));
        assert!(!is_valid_name(""));
        assert!(is_valid_tag("latest"));
        assert!(is_valid_tag("V1.0_rc-2"));
        assert!(!is_valid_tag("-x"));
        assert!(!is_valid_tag(&"a".repeat(129)));
        assert!(!is_valid_tag("a/b"));
        assert!(!is_valid_tag(""));
    }

    #[test]
    fn pagination() {
        let tags: Vec<String> = ["a", "b", "c", "d"].map(String::from).to_vec();
        let q = |n: Option<usize>, last: Option<&str>| TagQuery {
            n,
            last: last.map(String::from),
        };
        assert_eq!(paginate(&tags, &q(None, None)), (&tags[..], None));
        assert_eq!(paginate(&tags, &q(Some(2), None)), (&tags[..2], Some("b")));
        assert_eq!(paginate(&tags, &q(Some(2), Some("b"))), (&tags[2..], None));
        assert_eq!(
            paginate(&tags, &q(Some(1), Some("bb"))),
            (&tags[2..3], Some("c"))
        );
        assert_eq!(paginate(&tags, &q(None, Some("d"))), (&tags[4..], None));
        assert_eq!(paginate(&tags, &q(Some(0), None)), (&tags[..0], None));
        assert_eq!(
            parse_tag_query(Some("n=2&last=b")),
            Ok(q(Some(2), Some("b")))
        );
        assert_eq!(
            parse_tag_query(Some("n=99999999")).unwrap().n,
            Some(MAX_PAGE)
        );
        assert_eq!(
            parse_tag_query(Some("n=x")).unwrap_err().code,
            ErrorCode::PaginationNumberInvalid
        );
        assert_eq!(
            next_link("demo", 2, "b"),
            "</v2/demo/tags/list?n=2&last=b>; rel=\"next\""
        );
    }

    #[test]
    fn ranges() {
        use RangeAnswer::*;
        assert_eq!(parse_range(None, 10), Full);
        assert_eq!(
            parse_range(Some("bytes=0-3"), 10),
            Partial { start: 0, end: 3 }
        );
        assert_eq!(
            parse_range(Some("bytes=4-"), 10),
            Partial { start: 4, end: 9 }
        );
        assert_eq!(
            parse_range(Some("bytes=-3"), 10),
            Partial { start: 7, end: 9 }
        );
        assert_eq!(
            parse_range(Some("bytes=-30"), 10),
            Partial { start: 0, end: 9 }
        );
        assert_eq!(
            parse_range(Some("bytes=5-100"), 10),
            Partial { start: 5, end: 9 }
        );
        assert_eq!(parse_range(Some("bytes=10-"), 10), Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=-0"), 10), Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=0-0"), 0), Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=3-1"), 10), Full);
        assert_eq!(parse_range(Some("bytes=0-1,4-5"), 10), Full);
        assert_eq!(parse_range(Some("items=0-1"), 10), Full);
        assert_eq!(parse_range(Some("bytes=+1-2"), 10), Full);
    }
}
