//! The transfer encoding on the demo image's real layers, and on the
//! outcomes a broken layer produces.

use super::*;
use crate::demo::DemoImage;
use crate::inspect::{LayerFailure, ScanClass, ScanFault};
use crate::layer::{ScanOptions, Scanner, Stream};
use crate::registry::{FetchError, FetchErrorKind, RegistryError};

/// Every layer of the demo's first platform, scanned whole, as the report
/// `scan_layer` would give.
fn demo_reports() -> Vec<LayerReport> {
    let demo = DemoImage::generate();
    let image = &demo.images()[0];
    image
        .layers
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let blob = demo.blob(d.digest()).unwrap();
            let compression = d.media_type().layer_compression().unwrap();
            let mut scanner = Scanner::new(compression, ScanOptions::default());
            // Uneven chunks, as a network delivers them.
            for chunk in blob.chunks(777) {
                scanner.feed(chunk).unwrap();
            }
            let scan = scanner.finish().unwrap();
            let diff_id = image.diff_ids.get(i).cloned();
            LayerReport::scanned(i, d.clone(), diff_id, scan.into_index())
        })
        .collect()
}

fn scan_of(r: &LayerReport) -> &LayerIndex {
    r.layer_index()
        .unwrap_or_else(|| panic!("not scanned: {:?}", r.outcome))
}

#[test]
fn a_scanned_layer_crosses_with_its_entries_digests_and_verdict() {
    let reports = demo_reports();
    assert!(reports.len() >= 5);
    for r in &reports {
        assert!(r.is_verified(), "{:?}", r.problem());
        let bytes = encode_report(r);
        let back = decode_report(&bytes, r.index, r.descriptor.clone(), r.diff_id.clone()).unwrap();
        assert_eq!(back.index, r.index);
        assert!(back.is_verified());
        assert_eq!(back.problem(), None);
        assert_eq!(back.entries(), r.entries());
        assert!(!back.entries().is_empty());
        let (a, b) = (scan_of(r), scan_of(&back));
        assert_eq!(b, a);
    }
}

#[test]
fn the_verdict_is_recomputed_against_the_jobs_descriptor_and_diff_id() {
    let reports = demo_reports();
    let r = &reports[1];
    let bytes = encode_report(r);
    // The page asked for another blob than the worker scanned.
    let other = reports[2].descriptor.clone();
    let back = decode_report(&bytes, 1, other.clone(), r.diff_id.clone()).unwrap();
    assert!(!back.is_verified());
    let problem = back.problem().unwrap();
    assert!(problem.contains(&other.digest().to_string()), "{problem}");
    assert!(
        problem.contains("does not match its descriptor"),
        "{problem}"
    );
    // The config's diff_id is another layer's.
    let back = decode_report(&bytes, 1, r.descriptor.clone(), reports[0].diff_id.clone()).unwrap();
    let problem = back.problem().unwrap();
    assert!(problem.contains("diff_id"), "{problem}");
}

#[test]
fn failed_and_skipped_layers_cross_with_their_words() {
    let reports = demo_reports();
    let d = reports[0].descriptor.clone();
    let entries = reports[0].entries()[..3].to_vec();
    let wrong: Digest = reports[1].descriptor.digest().clone();
    let cases = [
        LayerOutcome::Failed {
            failure: LayerFailure::Scan(ScanFault {
                class: ScanClass::Corrupt,
                message: "corrupt deflate data in gzip member 1".into(),
                stream: Stream::Compressed,
                offset: 99,
            }),
            entries: entries.clone(),
            mismatch: Some(LayerProblem::Blob(VerifyError::Digest {
                expected: d.digest().clone(),
                actual: wrong,
            })),
        },
        LayerOutcome::Failed {
            failure: LayerFailure::Interrupted {
                received: 10,
                total: 100,
                error: FetchError::new("network"),
            },
            entries: Vec::new(),
            mismatch: Some(LayerProblem::Blob(VerifyError::Size {
                expected: 100,
                actual: 120,
            })),
        },
        LayerOutcome::Failed {
            failure: LayerFailure::Fetch(RegistryError::Fetch {
                registry: "registry.example".into(),
                source: FetchError::with_kind(FetchErrorKind::ProxyRefused, "the proxy refused"),
            }),
            entries,
            mismatch: None,
        },
        LayerOutcome::Skipped {
            reason: "non-distributable layer (application/vnd.docker.image.rootfs.foreign.diff.tar.gzip)".into(),
        },
    ];
    for outcome in cases {
        let r = LayerReport {
            index: 3,
            descriptor: d.clone(),
            diff_id: None,
            outcome,
        };
        let back = decode_report(&encode_report(&r), 3, d.clone(), None).unwrap();
        assert_eq!(back.problem(), r.problem());
        assert!(back.problem().is_some());
        assert_eq!(back.entries(), r.entries());
        assert_eq!(format!("{:?}", back.outcome), format!("{:?}", r.outcome));
    }
}

#[test]
fn damaged_bytes_are_an_error_never_a_panic() {
    let reports = demo_reports();
    let r = &reports[4];
    let bytes = encode_report(r);
    for cut in 0..bytes.len() {
        assert!(decode_report(&bytes[..cut], 4, r.descriptor.clone(), None).is_err());
    }
    let mut flipped = bytes.clone();
    for i in (0..flipped.len()).step_by(7) {
        flipped[i] ^= 0x5a;
        // Any answer but a panic; most flips break the index checksum.
        let _ = decode_report(&flipped, 4, r.descriptor.clone(), None);
        flipped[i] ^= 0x5a;
    }
    let mut extra = bytes.clone();
    extra.push(0);
    assert!(decode_report(&extra, 4, r.descriptor.clone(), None).is_err());
    let mut bad = bytes;
    bad[0] = b'X';
    assert!(decode_report(&bad, 4, r.descriptor.clone(), None).is_err());
}

#[test]
fn an_unverified_layer_is_a_gap_that_keeps_its_number_and_says_why() {
    let mut reports = demo_reports();
    // Layer 1 claims another layer's diff_id: it no longer verifies.
    let r = &reports[1];
    reports[1] = LayerReport::scanned(
        1,
        r.descriptor.clone(),
        reports[0].diff_id.clone(),
        r.layer_index().unwrap().clone(),
    );
    assert!(!reports[1].is_verified());
    assert!(!reports[1].entries().is_empty());
    let fs = crate::inspect::merge_verified(&reports);
    let why = fs.gap(1).unwrap();
    assert!(why.contains("diff_id"), "{why}");
    assert_eq!(fs.gap(0), None);
    assert_eq!(fs.layer_summary(1).unwrap().entries, 0);
    assert!(fs.layer_summary(2).unwrap().entries > 0);
    assert!(fs.changes(reports.len() - 1).is_some());
}

#[test]
fn every_failure_crosses_typed() {
    let reports = demo_reports();
    let d = reports[0].descriptor.clone();
    let scan = ScanFault {
        class: ScanClass::Limit,
        message: "the layer has more than 9 entries".into(),
        stream: Stream::Tar,
        offset: 4608,
    };
    let registry = |source| RegistryError::Fetch {
        registry: "r.example".into(),
        source,
    };
    let rate = crate::registry::RateLimit {
        limit: Some(100),
        remaining: Some(0),
        window_seconds: None,
    };
    let failures = [
        LayerFailure::Fetch(registry(FetchError::with_kind(
            FetchErrorKind::ProxyUnreachable,
            "no proxy",
        ))),
        LayerFailure::Fetch(RegistryError::CredentialsRequired {
            registry: "r.example".into(),
            realm: "https://auth.example/token".into(),
        }),
        LayerFailure::Fetch(RegistryError::Unauthorized {
            registry: "r.example".into(),
            message: "bad token".into(),
        }),
        LayerFailure::Fetch(RegistryError::Denied {
            registry: "r.example".into(),
            message: String::new(),
        }),
        LayerFailure::Fetch(RegistryError::NotFound {
            what: crate::registry::Missing::Blob,
            object: d.digest().to_string(),
            message: "blob unknown".into(),
        }),
        LayerFailure::Fetch(RegistryError::RateLimited {
            registry: "r.example".into(),
            rate_limit: Some(rate),
        }),
        LayerFailure::Fetch(RegistryError::RateLimited {
            registry: "r.example".into(),
            rate_limit: None,
        }),
        LayerFailure::Fetch(RegistryError::Status {
            registry: "r.example".into(),
            status: 502,
            object: d.digest().to_string(),
            message: String::new(),
        }),
        LayerFailure::Fetch(RegistryError::WaitTooLong {
            registry: "r.example".into(),
            status: 429,
            object: d.digest().to_string(),
            seconds: 3600,
        }),
        LayerFailure::Fetch(RegistryError::Length {
            registry: "r.example".into(),
            object: d.digest().to_string(),
            announced: 999,
            expected: 1000,
        }),
        LayerFailure::Fetch(RegistryError::Verify {
            object: "blob".into(),
            source: VerifyError::Digest {
                expected: d.digest().clone(),
                actual: reports[1].descriptor.digest().clone(),
            },
        }),
        LayerFailure::Scan(scan.clone()),
        LayerFailure::Oversize { total: 1234 },
        LayerFailure::Interrupted {
            received: 5,
            total: 1234,
            error: FetchError::new("connection reset"),
        },
        LayerFailure::Truncated {
            received: 600,
            total: 1234,
            scan,
        },
        LayerFailure::Worker {
            message: "the layer worker stopped".into(),
        },
        LayerFailure::NotInLibrary { reason: None },
        LayerFailure::NotInLibrary {
            reason: Some("checksum mismatch".into()),
        },
        LayerFailure::Other {
            message: "something".into(),
        },
    ];
    for failure in failures {
        let r = LayerReport {
            index: 2,
            descriptor: d.clone(),
            diff_id: None,
            outcome: LayerOutcome::Failed {
                failure: failure.clone(),
                entries: Vec::new(),
                mismatch: None,
            },
        };
        let back = decode_report(&encode_report(&r), 2, d.clone(), None).unwrap();
        match back.outcome {
            LayerOutcome::Failed { failure: b, .. } => assert_eq!(b, failure),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn a_registry_error_without_a_wire_form_crosses_as_its_words() {
    let d = demo_reports()[0].descriptor.clone();
    let e = RegistryError::Challenge {
        registry: "r.example".into(),
        source: crate::registry::ChallengeError::TooLong(99_999),
    };
    let r = LayerReport {
        index: 0,
        descriptor: d.clone(),
        diff_id: None,
        outcome: LayerOutcome::Failed {
            failure: LayerFailure::Fetch(e),
            entries: Vec::new(),
            mismatch: None,
        },
    };
    let back = decode_report(&encode_report(&r), 0, d, None).unwrap();
    assert!(matches!(
        back.outcome,
        LayerOutcome::Failed {
            failure: LayerFailure::Other { .. },
            ..
        }
    ));
    assert_eq!(back.problem(), r.problem());
}

#[test]
fn a_layer_listed_from_its_table_of_contents_crosses_listed() {
    use crate::layer::toc::{ListedLayer, Span, TocFormat};
    let reports = demo_reports();
    let r = &reports[0];
    // Spans for every other entry, some in several pieces.
    let spans: Vec<Vec<Span>> = (0..r.entries().len() as u64)
        .map(|i| {
            (0..i % 3)
                .map(|k| Span {
                    offset: 100 * i + 10 * k + 1,
                    end: 100 * i + 10 * k + 9,
                    chunk_offset: k * 4096,
                    size: if k + 1 == i % 3 { 0 } else { 4096 },
                })
                .collect()
        })
        .collect();
    for format in [TocFormat::ZstdChunked, TocFormat::Estargz] {
        let listing = ListedLayer::new(r.entries().to_vec(), spans.clone(), 777_777, format)
            .read_whole_blob(format == TocFormat::Estargz);
        let listed = LayerReport {
            outcome: LayerOutcome::Listed(listing.clone()),
            ..r.clone()
        };
        let back = decode_report(&encode_report(&listed), 0, r.descriptor.clone(), None).unwrap();
        assert!(!back.is_verified(), "a listing is not a verification");
        assert_eq!(back.problem(), None);
        assert_eq!(back.note(), listed.note());
        assert_eq!(
            back.note().unwrap().contains("ignored Range"),
            format == TocFormat::Estargz
        );
        assert!(back.note().unwrap().contains(&format.to_string()));
        assert_eq!(back.entries(), r.entries());
        match &back.outcome {
            LayerOutcome::Listed(l) => assert_eq!(*l, listing, "spans and data end cross"),
            other => panic!("listed, not {other:?}"),
        }
        // Its files are in the merged tree (a gap would have none).
        let fs = crate::inspect::merge_verified(std::slice::from_ref(&back));
        assert_eq!(fs.gap(0), None);
        assert!(fs.walk().len() > 1);
    }
}

#[test]
fn seek_checkpoints_cross_with_a_scanned_layer() {
    // A gzip layer of incompressible content with checkpoints every 64 KiB:
    // an encoded index far larger than any name.
    let mut tar = crate::demo::tar::TarBuilder::new();
    let noise = crate::test_rng::Rng(0x9e37_79b9).noise(1_500_000);
    tar.file("noise.bin", crate::demo::tar::Meta::root(0o644, 0), &noise);
    let tar = tar.finish();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    std::io::Write::write_all(&mut gz, &tar).unwrap();
    let blob = gz.finish().unwrap();
    let options = ScanOptions {
        hash_contents: true,
        seek_spacing: Some(64 << 10),
        ..ScanOptions::default()
    };
    let mut scanner = Scanner::new(Compression::Gzip, options);
    scanner.feed(&blob).unwrap();
    let index = scanner.finish().unwrap().into_index();
    let seek = index.seek().cloned().expect("checkpoints");
    assert!(
        seek.len() > 5 && seek.encode().len() as u64 > crate::layer::index::MAX_NAME,
        "{}",
        seek.encode().len()
    );
    let descriptor = Descriptor::new(
        crate::oci::MediaType::parse("application/vnd.oci.image.layer.v1.tar+gzip").unwrap(),
        Digest::sha256(&blob),
        blob.len() as u64,
    );
    let report = LayerReport::scanned(0, descriptor.clone(), Some(Digest::sha256(&tar)), index);
    assert!(report.is_verified());
    let back = decode_report(
        &encode_report(&report),
        0,
        descriptor,
        Some(Digest::sha256(&tar)),
    )
    .expect("the report crosses");
    assert_eq!(back.verified().and_then(|v| v.index().seek()), Some(&seek));
}
