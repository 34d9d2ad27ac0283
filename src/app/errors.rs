//! Every failure in words a person understands, with what to do about it.
//!
//! The core's errors are precise but technical (`invalid reference format`,
//! `registry answered HTTP 403`); here each kind becomes a [`UserError`]: a
//! title, the detail (naming the object: which tag, which digest, which
//! host), and a hint. Text only — the page draws it with text nodes.

use crate::inspect::{InspectError, LayerFailure, LayerReport, ScanClass, ScanFault};
use crate::layer::Stream;
use crate::oci::{ReferenceError, ReferenceErrorKind, VerifyError};
use crate::registry::{FetchErrorKind, Missing, RateLimit, RegistryError};

/// What kind of failure, for styling and for tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The reference does not parse.
    InvalidReference,
    /// The repository does not exist (or is private).
    UnknownRepository,
    /// The tag or digest does not exist.
    UnknownTag,
    /// The registry wants credentials.
    CredentialsNeeded,
    /// The registry refused the credentials given.
    CredentialsRefused,
    /// Authenticated but not allowed.
    Denied,
    /// Too many pulls.
    RateLimited,
    /// Content did not match its digest or size.
    DigestMismatch,
    /// The proxy could not be reached.
    ProxyUnreachable,
    /// The proxy refuses the registry host (or an address it resolves to).
    ProxyRefused,
    /// The proxy could not reach the registry (or timed out).
    RegistryUnreachable,
    /// A layer could not be read to the end.
    CorruptLayer,
    /// The platform asked for is not in the index, or there is none.
    Platform,
    /// A document the page cannot show (schema 1, nested index, bad config).
    Unsupported,
    /// Anything else the registry answered.
    Registry,
    /// An archive or layout opened from disk cannot be read.
    BadArchive,
    /// A link names an archive from someone's own machine, which is not here.
    FileNeeded,
}

/// A failure as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserError {
    /// The kind.
    pub kind: ErrorKind,
    /// One line: what happened.
    pub title: String,
    /// The specifics (names the object).
    pub detail: String,
    /// What to do about it (may be empty).
    pub hint: String,
}

impl UserError {
    fn new(
        kind: ErrorKind,
        title: impl Into<String>,
        detail: impl Into<String>,
        hint: impl Into<String>,
    ) -> UserError {
        UserError {
            kind,
            title: title.into(),
            detail: detail.into(),
            hint: hint.into(),
        }
    }

    /// Title, detail and hint on one line each (for tests and logs).
    pub fn text(&self) -> String {
        let mut s = self.title.clone();
        for part in [&self.detail, &self.hint] {
            if !part.is_empty() {
                s.push('\n');
                s.push_str(part);
            }
        }
        s
    }
}

const REFERENCE_FORM: &str =
    "A reference looks like alpine, alpine:3.20, ghcr.io/org/app:v1 or 127.0.0.1:5000/team/api@sha256:…";

/// Finds the most specific reason a reference failed the grammar.
fn reference_reason(input: &str, error: &ReferenceError) -> String {
    use ReferenceErrorKind as K;
    if input.is_empty() {
        return "the reference is empty".to_owned();
    }
    // Characters no reference may hold explain any failure best.
    if let Some(c) = input.chars().find(|c| c.is_whitespace()) {
        return if c == ' ' {
            "it contains a space".to_owned()
        } else {
            format!("it contains whitespace ({c:?})")
        };
    }
    if let Some(c) = input
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "._-/:@[]".contains(*c)))
    {
        return format!("the character {c:?} is not allowed in a reference");
    }
    match error.kind() {
        K::NameEmpty => return "the reference is empty".to_owned(),
        K::NameContainsUppercase => {
            return format!(
                "repository names must be lowercase (try {})",
                input.to_ascii_lowercase()
            )
        }
        K::NameTooLong => {
            return "the repository name is longer than 255 characters".to_owned();
        }
        K::HexIdentifier => {
            return "a 64-character hex string is an image ID, not a name a registry knows"
                .to_owned();
        }
        K::ChecksumInvalidFormat | K::ChecksumInvalidLength | K::UnsupportedAlgorithm => {
            return format!("the digest after @ is not valid: {error}");
        }
        _ => {}
    }
    if input.matches('@').count() > 1 {
        return "it has more than one @".to_owned();
    }
    let left = input.split('@').next().unwrap_or("");
    if let Some((_, digest)) = input.split_once('@') {
        let hex = digest.split_once(':').map_or("", |(_, h)| h);
        if hex.len() < 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return "the digest after @ is not valid: it must look like sha256:<64 hex digits>"
                .to_owned();
        }
    }
    if left.contains("//") || left.starts_with('/') || left.ends_with('/') {
        return "a part of the name between slashes is empty".to_owned();
    }
    if left.ends_with(':') {
        return "the tag after : is empty".to_owned();
    }
    let last = left.rsplit('/').next().unwrap_or("");
    if let Some((_, tag)) = last.split_once(':') {
        if tag.contains(':') {
            return "it has more than one : after the last /".to_owned();
        }
        if tag.len() > 128 {
            return "the tag is longer than 128 characters".to_owned();
        }
        if tag.starts_with(['.', '-']) {
            return "a tag must start with a letter, digit or underscore".to_owned();
        }
    }
    for comp in left.split('/').skip(usize::from(left.contains('/'))) {
        let comp = comp.split(':').next().unwrap_or("");
        if comp.starts_with(['.', '_', '-']) || comp.ends_with(['.', '_', '-']) {
            return format!(
                "the name part {comp:?} must start and end with a lowercase letter or digit"
            );
        }
    }
    "it does not follow NAME[:TAG][@DIGEST]".to_owned()
}

/// A link to an image opened from a file: the file is not at hand (a link
/// cannot carry it).
pub fn file_needed(name: &str) -> UserError {
    UserError::new(
        ErrorKind::FileNeeded,
        "This view is of an archive opened from a file",
        format!(
            "The link names {name:?}, an image archive on the machine of whoever opened it; \
             a link cannot carry the file itself."
        ),
        "Open the same file here (Open a file… or drop it on the page) to see this view.",
    )
}

/// The message for an invalid reference.
pub fn invalid_reference(input: &str, error: &ReferenceError) -> UserError {
    UserError::new(
        ErrorKind::InvalidReference,
        "That is not a valid image reference",
        format!("{:?}: {} ({error}).", input, reference_reason(input, error)),
        REFERENCE_FORM,
    )
}

fn rate_limit_text(r: Option<&RateLimit>) -> String {
    let Some(r) = r else {
        return "The registry did not say how many pulls remain.".to_owned();
    };
    let left = r.remaining.map_or("no".to_owned(), |n| n.to_string());
    let of = r.limit.map_or(String::new(), |l| format!(" of {l}"));
    let window = r.window_seconds.map_or(String::new(), |w| {
        if w >= 3600 && w % 3600 == 0 {
            format!("; the count resets over a {}-hour window", w / 3600)
        } else {
            format!("; the count resets over a {w}-second window")
        }
    });
    format!("{left}{of} pulls left{window}.")
}

fn verify_text(object: &str, e: &VerifyError) -> String {
    match e {
        VerifyError::Digest { expected, actual } => {
            format!("{object}: the content hashes to {actual}, not to {expected} as promised.")
        }
        VerifyError::Size { expected, actual } => {
            format!("{object}: {actual} bytes arrived where {expected} were promised.")
        }
    }
}

/// The message for a registry failure.
pub fn registry_error(e: &RegistryError) -> UserError {
    use ErrorKind as K;
    match e {
        RegistryError::NotFound { what, object, message } => {
            let msg = if message.is_empty() {
                String::new()
            } else {
                format!(" The registry said: {message}.")
            };
            match what {
                Missing::Repository => UserError::new(
                    K::UnknownRepository,
                    "Repository not found",
                    format!("{object}: no such repository.{msg}"),
                    "Check the spelling. A private repository looks the same to an anonymous request: sign in if it is yours.",
                ),
                Missing::Manifest | Missing::Unknown => UserError::new(
                    K::UnknownTag,
                    "Tag or digest not found",
                    format!("{object} does not exist in this repository.{msg}"),
                    "Check the tag; the repository's tags are listed by the registry.",
                ),
                Missing::Blob => UserError::new(
                    K::Registry,
                    "A blob is missing from the registry",
                    format!("{object} is referenced but not stored.{msg}"),
                    "The image is incomplete in this registry.",
                ),
            }
        }
        RegistryError::CredentialsRequired { registry, realm } => UserError::new(
            K::CredentialsNeeded,
            format!("{registry} needs credentials"),
            if realm.is_empty() {
                format!("{registry} does not serve this repository anonymously.")
            } else {
                format!("{registry} does not serve this repository anonymously (sign-in realm: {realm}).")
            },
            "Enter a user name and a password or access token. They stay in this page's memory only: never in the link, never stored.",
        ),
        RegistryError::Unauthorized { registry, message } => UserError::new(
            K::CredentialsRefused,
            format!("{registry} refused the credentials"),
            if message.is_empty() { "The user name or password was not accepted.".to_owned() } else { format!("The registry said: {message}.") },
            "Check the user name and the password or token, then try again.",
        ),
        RegistryError::Denied { registry, message } => UserError::new(
            K::Denied,
            format!("{registry} denied access"),
            if message.is_empty() { "Access to this repository is denied.".to_owned() } else { format!("The registry said: {message}.") },
            "These credentials may not pull this repository.",
        ),
        RegistryError::RateLimited { registry, rate_limit } => UserError::new(
            K::RateLimited,
            format!("{registry} rate limit reached"),
            rate_limit_text(rate_limit.as_ref()),
            "Wait for the window to pass, or sign in: authenticated users get more pulls.",
        ),
        RegistryError::WaitTooLong { registry, status: 429, seconds, .. } => UserError::new(
            K::RateLimited,
            format!("{registry} rate limit reached"),
            e.to_string(),
            format!("The registry asked to wait {seconds} s. Try again then, or sign in: authenticated users get more pulls."),
        ),
        RegistryError::Length { .. } => UserError::new(
            K::DigestMismatch,
            "Verification failed",
            e.to_string(),
            "Nothing unverified is shown as trusted. The registry or something between it and you altered the content.",
        ),
        RegistryError::Verify { object, source } => UserError::new(
            K::DigestMismatch,
            "Verification failed",
            verify_text(object, source),
            "Nothing unverified is shown as trusted. The registry or something between it and you altered the content.",
        ),
        RegistryError::Fetch { registry, source } => match source.kind {
            FetchErrorKind::ProxyUnreachable => UserError::new(
                K::ProxyUnreachable,
                "Cannot reach the proxy",
                source.message.clone(),
                "Start it with `layerlens serve`, or set the proxy URL under Settings.",
            ),
            FetchErrorKind::ProxyRefused => UserError::new(
                K::ProxyRefused,
                format!("The proxy refuses {registry}"),
                source.message.clone(),
                "The proxy only talks to registries on its allowlist; its operator can add this one with --allow-registry.",
            ),
            FetchErrorKind::Archive => UserError::new(
                K::BadArchive,
                "The archive cannot be read",
                source.message.clone(),
                "Check that the file is a whole `docker save` or OCI archive (or layout), not cut short.",
            ),
            FetchErrorKind::ProxyFailed | FetchErrorKind::Network => UserError::new(
                K::RegistryUnreachable,
                format!("Cannot reach {registry}"),
                source.message.clone(),
                "Check the registry's name and that it is up; try again in a moment.",
            ),
        },
        RegistryError::Document { object, source } => UserError::new(
            K::Unsupported,
            "The registry sent a document the page cannot read",
            format!("{object}: {source}"),
            "",
        ),
        other => UserError::new(K::Registry, "The registry answered with an error", other.to_string(), ""),
    }
}

/// The message for a failed resolve.
pub fn inspect_error(e: &InspectError) -> UserError {
    match e {
        InspectError::Registry(r) => registry_error(r),
        InspectError::Platform(message) => UserError::new(
            ErrorKind::Platform,
            "Platform not available",
            message.clone(),
            "Pick one of the platforms the image offers.",
        ),
        InspectError::NestedIndex { digest } => UserError::new(
            ErrorKind::Unsupported,
            "An index inside an index",
            format!("The chosen entry {digest} is itself an index, which the page does not open."),
            "",
        ),
        InspectError::Config { digest, message } => UserError::new(
            ErrorKind::Unsupported,
            "The image config is not valid",
            format!("config {digest}: {message}"),
            "",
        ),
    }
}

/// The message for a layer that did not verify or could not be read; the
/// rest of the image stays browsable.
pub fn layer_error(report: &LayerReport) -> Option<UserError> {
    use crate::inspect::LayerOutcome;
    let problem = report.problem()?;
    let i = report.index;
    const KEPT_OUT: &str = "Its files are kept out of the merged tree; the other layers are shown.";
    Some(match &report.outcome {
        LayerOutcome::Verified(_) | LayerOutcome::Unverified(_) | LayerOutcome::Listed(_) => {
            UserError::new(
                ErrorKind::DigestMismatch,
                format!("Layer {i} failed verification"),
                problem,
                KEPT_OUT,
            )
        }
        // A body cut short or running long is also a size mismatch; the
        // numbers say which, and what to try.
        LayerOutcome::Failed {
            mismatch: Some(_),
            failure,
            ..
        } => {
            let hint = match failure {
                LayerFailure::Oversize { .. } | LayerFailure::Truncated { .. } => {
                    format!("{} {KEPT_OUT}", failure_hint(failure).1)
                }
                _ => KEPT_OUT.to_owned(),
            };
            UserError::new(
                ErrorKind::DigestMismatch,
                format!("Layer {i} failed verification"),
                problem,
                hint,
            )
        }
        LayerOutcome::Failed { failure, .. } => {
            let (kind, hint) = failure_hint(failure);
            UserError::new(
                kind,
                format!("Layer {i} could not be read"),
                problem,
                format!("{hint} The rest of the image is still browsable."),
            )
        }
        LayerOutcome::Skipped { .. } => UserError::new(
            ErrorKind::Unsupported,
            format!("Layer {i} was not fetched"),
            problem,
            "Its files are not part of the tree shown.",
        ),
    })
}

/// The kind and the specific advice for each way a layer's read can fail.
fn failure_hint(failure: &LayerFailure) -> (ErrorKind, String) {
    use ErrorKind as K;
    match failure {
        // The registry's own answer carries the advice (credentials for a
        // 401, allowlist for the proxy, …): the same as for a manifest.
        LayerFailure::Fetch(e) => {
            let u = registry_error(e);
            let hint = if u.hint.is_empty() {
                "The registry refused the layer's blob.".to_owned()
            } else {
                u.hint
            };
            (u.kind, hint)
        }
        LayerFailure::Scan(s) => (K::CorruptLayer, scan_hint(s)),
        LayerFailure::Oversize { total } => (
            K::DigestMismatch,
            format!("The registry sent more than the {total} bytes the manifest promises, so the download was stopped there: it serves other content under this digest."),
        ),
        LayerFailure::Interrupted { received, total, .. } => (
            K::RegistryUnreachable,
            format!("The connection broke after {received} of {total} bytes. Try again; a long layer over a slow link may need a few attempts."),
        ),
        LayerFailure::Truncated { received, total, .. } => (
            K::CorruptLayer,
            format!("The registry ended the blob after {received} of its {total} bytes. Try again; if it happens every time, the registry (or a cache in front of it) holds a cut-off copy."),
        ),
        LayerFailure::Worker { .. } => (
            K::CorruptLayer,
            "The background worker scanning it stopped. Try again; if workers keep failing, the page scans layers on the main thread instead.".to_owned(),
        ),
        LayerFailure::NotInLibrary { .. } => (
            K::CorruptLayer,
            "Inspect the image again from its registry to fetch this layer.".to_owned(),
        ),
        LayerFailure::Other { .. } => (
            K::Registry,
            "The registry answered the layer's request in a way the page cannot use.".to_owned(),
        ),
    }
}

fn scan_hint(s: &ScanFault) -> String {
    let at = format!("at byte {} of the {}", s.offset, s.stream);
    match (s.class, s.stream) {
        (ScanClass::Corrupt, Stream::Compressed) => format!(
            "The registry serves a broken blob: its compressed data is damaged {at}, and any client pulling it will fail the same way."
        ),
        (ScanClass::Corrupt, Stream::Tar) => format!(
            "The layer decompresses, but the tar archive inside is malformed {at}: it was built or pushed broken."
        ),
        (ScanClass::Limit, _) => format!(
            "The layer is beyond a limit the page keeps to stay within memory ({at}); the layer itself may be fine."
        ),
        (ScanClass::Unsupported, _) => format!(
            "The layer uses a compression feature that layers do not normally use and the page cannot read ({at})."
        ),
    }
}
