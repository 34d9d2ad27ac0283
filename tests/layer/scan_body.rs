//! `inspect::scan_body` over the registry's one blob reader: every chunking
//! of a good layer verifies; a short, long, corrupt or interrupted body, or
//! other bytes, each end as their own typed outcome.

use std::collections::VecDeque;
use std::future::Future;
use std::task::{Context, Poll, Waker};

use layerlens::inspect::{
    scan_body, LayerFailure, LayerOutcome, LayerReport, ScanClass, ScanSettings,
};
use layerlens::layer::{LayerProblem, Stream};
use layerlens::oci::{Compression, Descriptor, Digest, MediaType, VerifyError};
use layerlens::registry::{BlobBody, Body, FetchError};
use layerlens_testkit::tar::*;

struct Pieces {
    pieces: VecDeque<Vec<u8>>,
    fail: Option<FetchError>,
}

impl Body for Pieces {
    async fn chunk(&mut self) -> Result<Option<Vec<u8>>, FetchError> {
        match self.pieces.pop_front() {
            Some(p) => Ok(Some(p)),
            None => self.fail.take().map_or(Ok(None), Err),
        }
    }
}

fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("the scripted body never waits"),
    }
}

fn pieces(bytes: &[u8], rng: &mut Rng) -> Pieces {
    let mut out = VecDeque::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let n = (rng.chunk_size() % 4096).max(1).min(rest.len());
        let (a, b) = rest.split_at(n);
        out.push_back(a.to_vec());
        rest = b;
    }
    Pieces {
        pieces: out,
        fail: None,
    }
}

/// A gzip layer of a few files, and its tar's digest.
fn layer() -> (Vec<u8>, Digest) {
    let mut rng = Rng(11);
    let mut t = TarBuilder::new(Flavour::Ustar);
    for i in 0..12 {
        t.member(&Member::file(format!("f{i}").as_bytes(), &rng.text(4000)));
    }
    let tar = t.finish();
    (gzip(&tar), Digest::sha256(&tar))
}

fn scan(body: Pieces, descriptor: &Descriptor, diff_id: &Digest) -> LayerReport {
    let blob = BlobBody::new(body, descriptor.digest(), descriptor.size());
    block_on(scan_body(
        blob,
        Compression::Gzip,
        0,
        descriptor.clone(),
        Some(diff_id.clone()),
        &ScanSettings::default(),
        &|_| {},
    ))
}

fn descriptor(digest: Digest, size: usize) -> Descriptor {
    Descriptor::new(MediaType::OciLayerGzip, digest, size as u64)
}

#[test]
fn every_chunking_of_a_good_layer_verifies() {
    let (blob, diff_id) = layer();
    let d = descriptor(Digest::sha256(&blob), blob.len());
    let mut rng = Rng(5);
    for _ in 0..30 {
        let r = scan(pieces(&blob, &mut rng), &d, &diff_id);
        assert!(r.is_verified(), "{:?}", r.problem());
        assert_eq!(r.entries().len(), 12);
    }
}

#[test]
fn a_short_body_is_truncated_with_the_numbers_and_a_size_mismatch() {
    let (blob, diff_id) = layer();
    let d = descriptor(Digest::sha256(&blob), blob.len());
    let cut = blob.len() * 3 / 5;
    let r = scan(pieces(&blob[..cut], &mut Rng(7)), &d, &diff_id);
    let LayerOutcome::Failed {
        failure: LayerFailure::Truncated {
            received, total, ..
        },
        mismatch,
        ..
    } = &r.outcome
    else {
        panic!("{:?}", r.outcome);
    };
    assert_eq!((*received, *total), (cut as u64, blob.len() as u64));
    assert_eq!(
        mismatch,
        &Some(LayerProblem::Blob(VerifyError::Size {
            expected: blob.len() as u64,
            actual: cut as u64,
        }))
    );
    let problem = r.problem().unwrap();
    assert!(problem.contains(&cut.to_string()), "{problem}");
}

#[test]
fn a_long_body_is_stopped_at_the_descriptors_size() {
    let (blob, diff_id) = layer();
    let d = descriptor(Digest::sha256(&blob), blob.len());
    let mut long = blob.clone();
    long.extend_from_slice(&[0; 100_000]);
    let r = scan(pieces(&long, &mut Rng(9)), &d, &diff_id);
    let LayerOutcome::Failed {
        failure, mismatch, ..
    } = &r.outcome
    else {
        panic!("{:?}", r.outcome);
    };
    assert_eq!(
        failure,
        &LayerFailure::Oversize {
            total: blob.len() as u64
        }
    );
    assert!(matches!(
        mismatch,
        Some(LayerProblem::Blob(VerifyError::Size { .. }))
    ));
}

#[test]
fn other_bytes_of_the_right_size_do_not_verify() {
    let (blob, diff_id) = layer();
    let d = descriptor(Digest::sha256(b"another blob"), blob.len());
    let r = scan(pieces(&blob, &mut Rng(13)), &d, &diff_id);
    let LayerOutcome::Unverified(u) = &r.outcome else {
        panic!("{:?}", r.outcome);
    };
    assert!(matches!(
        u.problems(),
        [LayerProblem::Blob(VerifyError::Digest { .. })]
    ));
}

#[test]
fn a_corrupt_published_blob_is_a_located_scan_fault_not_a_mismatch() {
    let garbage = b"\x1f\x8b\x08\x00 this is not deflate data at all".to_vec();
    let d = descriptor(Digest::sha256(&garbage), garbage.len());
    let r = scan(pieces(&garbage, &mut Rng(3)), &d, &Digest::sha256(b""));
    let LayerOutcome::Failed {
        failure: LayerFailure::Scan(fault),
        mismatch: None,
        ..
    } = &r.outcome
    else {
        panic!("{:?}", r.outcome);
    };
    assert_eq!(fault.class, ScanClass::Corrupt);
    assert_eq!(fault.stream, Stream::Compressed);
}

#[test]
fn a_broken_connection_is_interrupted_and_claims_no_mismatch() {
    let (blob, diff_id) = layer();
    let d = descriptor(Digest::sha256(&blob), blob.len());
    let mut body = pieces(&blob[..1000], &mut Rng(4));
    body.fail = Some(FetchError::new("connection reset"));
    let r = scan(body, &d, &diff_id);
    let LayerOutcome::Failed {
        failure, mismatch, ..
    } = &r.outcome
    else {
        panic!("{:?}", r.outcome);
    };
    assert_eq!(mismatch, &None);
    assert_eq!(
        failure.to_string(),
        "download failed after 1000 bytes: connection reset"
    );
}
