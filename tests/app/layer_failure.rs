//! Each way a layer's read can fail gets its own advice: a 401 on a blob is
//! a credentials problem, corrupt gzip at offset N is the registry's broken
//! blob, a short body says how short, a crashed worker says try again.
//! The whole message is pinned (title, detail, hint), as the page shows it.

use layerlens::app::errors::layer_error;
use layerlens::app::ErrorKind;
use layerlens::inspect::{LayerFailure, LayerOutcome, LayerReport, ScanClass, ScanFault};
use layerlens::layer::Stream;
use layerlens::oci::{Descriptor, Digest, MediaType};
use layerlens::registry::{FetchError, FetchErrorKind, Missing, RegistryError};

fn report(failure: LayerFailure) -> LayerReport {
    LayerReport {
        index: 1,
        descriptor: Descriptor::new(MediaType::OciLayerGzip, Digest::sha256(b"blob"), 1234),
        diff_id: None,
        outcome: LayerOutcome::Failed {
            failure,
            entries: Vec::new(),
            mismatch: None,
        },
    }
}

fn message(failure: LayerFailure) -> (ErrorKind, String) {
    let e = layer_error(&report(failure)).expect("a failed layer has a message");
    (e.kind, e.text())
}

fn layer() -> String {
    format!("layer 1 ({})", Digest::sha256(b"blob"))
}

fn corrupt(stream: Stream, offset: u64) -> ScanFault {
    ScanFault {
        class: ScanClass::Corrupt,
        message: "corrupt deflate data in gzip member 1".into(),
        stream,
        offset,
    }
}

#[test]
fn a_401_on_a_blob_asks_for_credentials() {
    let (kind, text) = message(LayerFailure::Fetch(RegistryError::CredentialsRequired {
        registry: "r.example".into(),
        realm: "https://auth.example/token".into(),
    }));
    assert_eq!(kind, ErrorKind::CredentialsNeeded);
    assert_eq!(
        text,
        format!(
            "Layer 1 could not be read\n\
             {}: r.example requires credentials (https://auth.example/token)\n\
             Enter a user name and a password or access token. They stay in this page's memory only: never in the link, never stored. \
             The rest of the image is still browsable.",
            layer()
        )
    );
}

#[test]
fn a_403_on_a_blob_says_the_credentials_may_not_pull() {
    let (kind, text) = message(LayerFailure::Fetch(RegistryError::Denied {
        registry: "r.example".into(),
        message: "no pull".into(),
    }));
    assert_eq!(kind, ErrorKind::Denied);
    assert!(
        text.ends_with("These credentials may not pull this repository. The rest of the image is still browsable."),
        "{text}"
    );
}

#[test]
fn a_missing_blob_and_a_refusing_proxy_keep_the_registry_advice() {
    let (kind, text) = message(LayerFailure::Fetch(RegistryError::NotFound {
        what: Missing::Blob,
        object: "blob".into(),
        message: String::new(),
    }));
    assert_eq!(kind, ErrorKind::Registry);
    assert!(
        text.contains("The image is incomplete in this registry."),
        "{text}"
    );
    let (kind, text) = message(LayerFailure::Fetch(RegistryError::Fetch {
        registry: "r.example".into(),
        source: FetchError::with_kind(FetchErrorKind::ProxyRefused, "not allowed"),
    }));
    assert_eq!(kind, ErrorKind::ProxyRefused);
    assert!(text.contains("--allow-registry"), "{text}");
}

#[test]
fn corrupt_gzip_says_the_registry_serves_a_broken_blob_and_where() {
    let (kind, text) = message(LayerFailure::Scan(corrupt(Stream::Compressed, 99)));
    assert_eq!(kind, ErrorKind::CorruptLayer);
    assert_eq!(
        text,
        format!(
            "Layer 1 could not be read\n\
             {}: corrupt deflate data in gzip member 1 (at byte 99 of the compressed stream)\n\
             The registry serves a broken blob: its compressed data is damaged at byte 99 of the compressed stream, \
             and any client pulling it will fail the same way. The rest of the image is still browsable.",
            layer()
        )
    );
}

#[test]
fn a_malformed_tar_a_limit_and_an_unsupported_feature_are_told_apart() {
    let (_, tar) = message(LayerFailure::Scan(corrupt(Stream::Tar, 512)));
    assert!(
        tar.contains("the tar archive inside is malformed at byte 512 of the tar stream"),
        "{tar}"
    );
    let limit = ScanFault {
        class: ScanClass::Limit,
        ..corrupt(Stream::Tar, 0)
    };
    let (kind, limit) = message(LayerFailure::Scan(limit));
    assert_eq!(kind, ErrorKind::CorruptLayer);
    assert!(limit.contains("beyond a limit the page keeps"), "{limit}");
    let unsupported = ScanFault {
        class: ScanClass::Unsupported,
        ..corrupt(Stream::Compressed, 0)
    };
    let (_, unsupported) = message(LayerFailure::Scan(unsupported));
    assert!(
        unsupported.contains("the page cannot read"),
        "{unsupported}"
    );
}

#[test]
fn oversize_and_truncated_give_the_numbers() {
    let (kind, text) = message(LayerFailure::Oversize { total: 1234 });
    assert_eq!(kind, ErrorKind::DigestMismatch);
    assert_eq!(
        text,
        format!(
            "Layer 1 could not be read\n\
             {}: the registry sent more than the descriptor's 1234 bytes\n\
             The registry sent more than the 1234 bytes the manifest promises, so the download was stopped there: \
             it serves other content under this digest. The rest of the image is still browsable.",
            layer()
        )
    );
    let (kind, text) = message(LayerFailure::Truncated {
        received: 600,
        total: 1234,
        scan: corrupt(Stream::Compressed, 600),
    });
    assert_eq!(kind, ErrorKind::CorruptLayer);
    assert!(text.contains("(received 600 of 1234 bytes)"), "{text}");
    assert!(
        text.contains("The registry ended the blob after 600 of its 1234 bytes. Try again;"),
        "{text}"
    );
}

#[test]
fn a_broken_connection_says_try_again() {
    let (kind, text) = message(LayerFailure::Interrupted {
        received: 5,
        total: 1234,
        error: FetchError::new("connection reset"),
    });
    assert_eq!(kind, ErrorKind::RegistryUnreachable);
    assert!(
        text.contains("download failed after 5 bytes: connection reset"),
        "{text}"
    );
    assert!(
        text.contains("The connection broke after 5 of 1234 bytes. Try again;"),
        "{text}"
    );
}

#[test]
fn a_crashed_worker_says_try_again_and_names_the_fallback() {
    let (kind, text) = message(LayerFailure::Worker {
        message: "the layer worker stopped".into(),
    });
    assert_eq!(kind, ErrorKind::CorruptLayer);
    assert_eq!(
        text,
        format!(
            "Layer 1 could not be read\n\
             {}: the layer worker stopped\n\
             The background worker scanning it stopped. Try again; if workers keep failing, \
             the page scans layers on the main thread instead. The rest of the image is still browsable.",
            layer()
        )
    );
}

#[test]
fn a_layer_missing_from_the_library_says_inspect_again() {
    let (_, text) = message(LayerFailure::NotInLibrary {
        reason: Some("checksum mismatch".into()),
    });
    assert!(
        text.contains(": not in the library: checksum mismatch\n"),
        "{text}"
    );
    assert!(
        text.contains("Inspect the image again from its registry"),
        "{text}"
    );
    let (_, text) = message(LayerFailure::NotInLibrary { reason: None });
    assert!(text.contains(": not in the library\n"), "{text}");
}

#[test]
fn other_registry_failures_still_say_the_rest_is_browsable() {
    let (kind, text) = message(LayerFailure::Other {
        message: "r.example sent an unreadable WWW-Authenticate header".into(),
    });
    assert_eq!(kind, ErrorKind::Registry);
    assert!(
        text.ends_with("The rest of the image is still browsable."),
        "{text}"
    );
}

#[test]
fn a_short_or_long_body_read_to_its_end_is_a_mismatch_with_the_numbers() {
    use layerlens::layer::LayerProblem;
    use layerlens::oci::VerifyError;
    let mut r = report(LayerFailure::Truncated {
        received: 600,
        total: 1234,
        scan: corrupt(Stream::Compressed, 600),
    });
    if let LayerOutcome::Failed { mismatch, .. } = &mut r.outcome {
        *mismatch = Some(LayerProblem::Blob(VerifyError::Size {
            expected: 1234,
            actual: 600,
        }));
    }
    let e = layer_error(&r).unwrap();
    assert_eq!(e.kind, ErrorKind::DigestMismatch);
    assert_eq!(e.title, "Layer 1 failed verification");
    assert_eq!(
        e.hint,
        "The registry ended the blob after 600 of its 1234 bytes. Try again; if it happens every time, \
         the registry (or a cache in front of it) holds a cut-off copy. \
         Its files are kept out of the merged tree; the other layers are shown."
    );
}

#[test]
fn a_long_retry_after_and_a_wrong_length_get_their_own_advice() {
    let (kind, text) = message(LayerFailure::Fetch(RegistryError::WaitTooLong {
        registry: "r.example".into(),
        status: 429,
        object: "blob".into(),
        seconds: 3600,
    }));
    assert_eq!(kind, ErrorKind::RateLimited);
    assert!(
        text.contains("The registry asked to wait 3600 s. Try again then"),
        "{text}"
    );
    let (kind, text) = message(LayerFailure::Fetch(RegistryError::Length {
        registry: "r.example".into(),
        object: "blob".into(),
        announced: 999,
        expected: 1234,
    }));
    assert_eq!(kind, ErrorKind::DigestMismatch);
    assert!(
        text.contains(
            "r.example announced 999 bytes (Content-Length) for blob, whose descriptor says 1234"
        ),
        "{text}"
    );
}
