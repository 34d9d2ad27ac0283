//! Registry errors: the distribution spec's error codes ("Error Codes" in
//! the OCI distribution spec) and HTTP statuses, mapped into types a person
//! can be told about.

use serde::Deserialize;

/// An error code from a registry's JSON error body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorCode {
    /// The blob is unknown to the registry.
    BlobUnknown,
    /// The manifest (tag or digest) is unknown.
    ManifestUnknown,
    /// The repository is unknown.
    NameUnknown,
    /// Invalid repository name.
    NameInvalid,
    /// Authentication required.
    Unauthorized,
    /// Access to the resource was denied.
    Denied,
    /// Too many requests: rate limited.
    TooManyRequests,
    /// The operation is unsupported.
    Unsupported,
    /// Any other code, kept as written.
    Other(String),
}

impl ErrorCode {
    fn parse(code: &str) -> ErrorCode {
        match code {
            "BLOB_UNKNOWN" => ErrorCode::BlobUnknown,
            "MANIFEST_UNKNOWN" => ErrorCode::ManifestUnknown,
            "NAME_UNKNOWN" => ErrorCode::NameUnknown,
            "NAME_INVALID" => ErrorCode::NameInvalid,
            "UNAUTHORIZED" => ErrorCode::Unauthorized,
            "DENIED" => ErrorCode::Denied,
            "TOOMANYREQUESTS" => ErrorCode::TooManyRequests,
            "UNSUPPORTED" => ErrorCode::Unsupported,
            other => ErrorCode::Other(other.to_owned()),
        }
    }
}

/// One entry of a registry error body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryErrorEntry {
    /// The machine-readable code.
    pub code: ErrorCode,
    /// The registry's message, as written (untrusted text: display only).
    pub message: String,
}

#[derive(Deserialize)]
struct RawBody {
    #[serde(default)]
    errors: Vec<RawEntry>,
}

#[derive(Deserialize)]
struct RawEntry {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

/// Reads a registry error body (`{"errors":[{"code":…,"message":…}]}`).
/// Bodies that are not JSON or have another shape give an empty list: the
/// HTTP status still tells what happened. Oversized bodies are not parsed.
pub fn parse_error_body(body: &[u8]) -> Vec<RegistryErrorEntry> {
    if body.len() > 64 * 1024 {
        return Vec::new();
    }
    let Ok(raw) = serde_json::from_slice::<RawBody>(body) else {
        return Vec::new();
    };
    raw.errors
        .into_iter()
        .take(16)
        .map(|e| RegistryErrorEntry {
            code: ErrorCode::parse(&e.code),
            message: e.message.chars().take(512).collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_distribution_codes() {
        let body = br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"nope"}},{"code":"WEIRD","message":"x"}]}"#;
        let errs = parse_error_body(body);
        assert_eq!(errs.len(), 2);
        assert_eq!(errs[0].code, ErrorCode::ManifestUnknown);
        assert_eq!(errs[0].message, "manifest unknown");
        assert_eq!(errs[1].code, ErrorCode::Other("WEIRD".into()));
        for (code, want) in [
            ("BLOB_UNKNOWN", ErrorCode::BlobUnknown),
            ("NAME_UNKNOWN", ErrorCode::NameUnknown),
            ("UNAUTHORIZED", ErrorCode::Unauthorized),
            ("DENIED", ErrorCode::Denied),
            ("TOOMANYREQUESTS", ErrorCode::TooManyRequests),
        ] {
            let b = format!(r#"{{"errors":[{{"code":"{code}"}}]}}"#);
            assert_eq!(parse_error_body(b.as_bytes())[0].code, want);
        }
    }

    #[test]
    fn junk_bodies_give_nothing() {
        assert!(parse_error_body(b"<html>502</html>").is_empty());
        assert!(parse_error_body(b"").is_empty());
        assert!(parse_error_body(br#"{"detail":"x"}"#).is_empty());
    }
}
