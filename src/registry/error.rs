//! The registry client's error type: what went wrong talking to a registry,
//! in terms a person can act on.

use crate::oci::document::DocumentError;
use crate::oci::{DigestError, VerifyError};
use crate::registry::codes::{ErrorCode, RegistryErrorEntry};
use crate::registry::{ChallengeError, FetchError, RateLimit, TokenError};

/// What was missing when a registry answered 404.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// The repository does not exist (or is private and we are anonymous).
    Repository,
    /// The tag or manifest digest does not exist.
    Manifest,
    /// The blob does not exist.
    Blob,
    /// The registry did not say.
    Unknown,
}

/// Why a registry operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// The network (or the proxy) could not deliver a response.
    #[error("cannot reach {registry}: {source}")]
    Fetch {
        /// The registry or token host.
        registry: String,
        /// What the transport said.
        source: FetchError,
    },
    /// The registry wants credentials and none were given.
    #[error("{registry} requires credentials ({realm})")]
    CredentialsRequired {
        /// The registry host.
        registry: String,
        /// The challenge's realm, to show the user where they log in.
        realm: String,
    },
    /// Credentials were given and refused, or a fresh token was refused too.
    #[error("{registry} refused the credentials: {message}")]
    Unauthorized {
        /// The registry host.
        registry: String,
        /// The registry's own words, if any.
        message: String,
    },
    /// Authenticated, but not allowed.
    #[error("{registry} denied access: {message}")]
    Denied {
        /// The registry host.
        registry: String,
        /// The registry's own words, if any.
        message: String,
    },
    /// A 404.
    #[error("{}", not_found_message(*what, object, message))]
    NotFound {
        /// What kind of thing was missing.
        what: Missing,
        /// The object asked for (`library/alpine:nope`, a digest).
        object: String,
        /// The registry's own words, if any.
        message: String,
    },
    /// Rate limited (429).
    #[error("{registry} rate limit reached{}", rate_limit_suffix(rate_limit))]
    RateLimited {
        /// The registry host.
        registry: String,
        /// The registry's rate-limit headers, when it sent them.
        rate_limit: Option<RateLimit>,
    },
    /// A 429 or 5xx whose `Retry-After` asked for longer than the client
    /// waits ([`crate::registry::retry::MAX_WAIT_MS`]): not retried.
    #[error(
        "{registry} answered HTTP {status} for {object} and asked to wait {seconds} s before \
         trying again, longer than the {} s layerlens waits: try again later",
        crate::registry::retry::MAX_WAIT_MS / 1000
    )]
    WaitTooLong {
        /// The registry host.
        registry: String,
        /// The HTTP status (429, 5xx).
        status: u16,
        /// The object asked for.
        object: String,
        /// The wait it asked for.
        seconds: u64,
    },
    /// A blob's `Content-Length` is not its descriptor's size: refused
    /// before a byte is read (the body could never verify).
    #[error(
        "{registry} announced {announced} bytes (Content-Length) for {object}, whose \
         descriptor says {expected}: not read"
    )]
    Length {
        /// The registry host.
        registry: String,
        /// The blob (`blob sha256:… of REPOSITORY`).
        object: String,
        /// What `Content-Length` said.
        announced: u64,
        /// The descriptor's size (of the range asked for).
        expected: u64,
    },
    /// Any other unexpected status.
    #[error(
        "{registry} answered HTTP {status} for {object}{}",
        message_suffix(message)
    )]
    Status {
        /// The registry host.
        registry: String,
        /// The HTTP status.
        status: u16,
        /// The object asked for.
        object: String,
        /// The registry's own words, if any.
        message: String,
    },
    /// The challenge header could not be read.
    #[error("{registry} sent an unreadable WWW-Authenticate header: {source}")]
    Challenge {
        /// The registry host.
        registry: String,
        /// The parse error.
        source: ChallengeError,
    },
    /// The token endpoint's answer could not be used.
    #[error("token from {realm}: {source}")]
    Token {
        /// The token endpoint.
        realm: String,
        /// What was wrong.
        source: TokenError,
    },
    /// A digest header was malformed.
    #[error("{registry} sent an invalid Docker-Content-Digest {value:?}: {source}")]
    BadDigestHeader {
        /// The registry host.
        registry: String,
        /// The header's value.
        value: String,
        /// Why it is not a digest.
        source: DigestError,
    },
    /// Content did not match its digest or size.
    #[error("{object}: {source}")]
    Verify {
        /// Which object (`manifest sha256:…`, `config sha256:…`).
        object: String,
        /// The mismatch.
        source: VerifyError,
    },
    /// A verified document could not be parsed.
    #[error("{object}: {source}")]
    Document {
        /// Which object.
        object: String,
        /// The parse error.
        source: DocumentError,
    },
}

fn not_found_message(what: Missing, object: &str, message: &str) -> String {
    let kind = match what {
        Missing::Repository => "repository not found",
        Missing::Manifest => "tag or manifest not found",
        Missing::Blob => "blob not found",
        Missing::Unknown => "not found",
    };
    format!("{object}: {kind}{}", message_suffix(message))
}

fn message_suffix(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(" ({message})")
    }
}

fn rate_limit_suffix(r: &Option<RateLimit>) -> String {
    match r {
        Some(RateLimit {
            limit: Some(l),
            remaining,
            window_seconds,
        }) => {
            let window =
                window_seconds.map_or(String::new(), |w| format!(" per {} hours", w / 3600));
            format!(
                ": {} of {l} pulls left{window}",
                remaining.map_or("none".to_string(), |r| r.to_string())
            )
        }
        _ => String::new(),
    }
}

impl RegistryError {
    /// Maps an unsuccessful response to an error, using the distribution
    /// error codes in its body when present.
    pub fn from_status(
        registry: &str,
        status: u16,
        object: &str,
        entries: &[RegistryErrorEntry],
        rate_limit: Option<RateLimit>,
    ) -> RegistryError {
        let message = entries
            .iter()
            .map(|e| e.message.as_str())
            .filter(|m| !m.is_empty())
            .collect::<Vec<_>>()
            .join("; ");
        let code = entries.first().map(|e| &e.code);
        match (status, code) {
            (429, _) | (_, Some(ErrorCode::TooManyRequests)) => RegistryError::RateLimited {
                registry: registry.to_owned(),
                rate_limit,
            },
            (_, Some(ErrorCode::Denied)) | (403, _) => RegistryError::Denied {
                registry: registry.to_owned(),
                message,
            },
            (_, Some(ErrorCode::Unauthorized)) | (401, _) => RegistryError::Unauthorized {
                registry: registry.to_owned(),
                message,
            },
            (_, Some(ErrorCode::NameUnknown)) => RegistryError::NotFound {
                what: Missing::Repository,
                object: object.to_owned(),
                message,
            },
            (_, Some(ErrorCode::ManifestUnknown)) => RegistryError::NotFound {
                what: Missing::Manifest,
                object: object.to_owned(),
                message,
            },
            (_, Some(ErrorCode::BlobUnknown)) => RegistryError::NotFound {
                what: Missing::Blob,
                object: object.to_owned(),
                message,
            },
            (404, _) => RegistryError::NotFound {
                what: Missing::Unknown,
                object: object.to_owned(),
                message,
            },
            _ => RegistryError::Status {
                registry: registry.to_owned(),
                status,
                object: object.to_owned(),
                message,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::codes::parse_error_body;

    fn map(status: u16, body: &str, rl: Option<RateLimit>) -> RegistryError {
        RegistryError::from_status(
            "reg",
            status,
            "app:v1",
            &parse_error_body(body.as_bytes()),
            rl,
        )
    }

    #[test]
    fn statuses_and_codes_map_to_what_a_person_can_act_on() {
        let e = map(
            404,
            r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#,
            None,
        );
        assert_eq!(
            e.to_string(),
            "app:v1: tag or manifest not found (manifest unknown)"
        );
        let e = map(
            404,
            r#"{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}"#,
            None,
        );
        assert!(
            matches!(
                e,
                RegistryError::NotFound {
                    what: Missing::Repository,
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(matches!(
            map(404, "", None),
            RegistryError::NotFound {
                what: Missing::Unknown,
                ..
            }
        ));
        assert!(matches!(map(403, "", None), RegistryError::Denied { .. }));
        let e = map(
            401,
            r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#,
            None,
        );
        assert!(matches!(e, RegistryError::Unauthorized { .. }));
        let rl = RateLimit::from_headers(Some("100;w=21600"), Some("0;w=21600"));
        let e = map(
            429,
            r#"{"errors":[{"code":"TOOMANYREQUESTS","message":"You have reached your pull rate limit."}]}"#,
            rl,
        );
        assert_eq!(
            e.to_string(),
            "reg rate limit reached: 0 of 100 pulls left per 6 hours"
        );
        let e = map(500, "<html>oops</html>", None);
        assert_eq!(e.to_string(), "reg answered HTTP 500 for app:v1");
    }
}
