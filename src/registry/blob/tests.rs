//! The blob body on adversarial bodies: random chunk sizes, one byte too
//! many, a short body, other bytes, a broken connection.

use std::collections::VecDeque;
use std::future::Future;
use std::task::{Context, Poll, Waker};

use super::*;

/// A body that hands out scripted pieces, then maybe an error.
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

/// `bytes` cut at pseudo-random places (xorshift, seeded).
fn cut(bytes: &[u8], seed: u64) -> Pieces {
    let mut state = seed | 1;
    let mut pieces = VecDeque::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let n = (state % 97) as usize;
        let (a, b) = rest.split_at(n.min(rest.len()));
        pieces.push_back(a.to_vec());
        rest = b;
    }
    Pieces { pieces, fail: None }
}

/// A hashed body of the blob `of`.
fn hashed(body: Pieces, of: &[u8]) -> HashedBlob<Pieces> {
    HashedBlob::new(body, &Digest::sha256(of), of.len() as u64)
}

/// A counting body of the blob `of`.
fn counted(body: Pieces, of: &[u8]) -> BlobBody<Pieces> {
    BlobBody::new(body, &Digest::sha256(of), of.len() as u64)
}

fn data() -> Vec<u8> {
    (0..5000u32).map(|i| (i * 31 % 251) as u8).collect()
}

/// Reads a hashed blob to its end: the bytes, and the verdict or the error.
fn read_all(mut blob: HashedBlob<Pieces>) -> (Vec<u8>, Result<(), String>) {
    let mut out = Vec::new();
    loop {
        match block_on(blob.chunk()) {
            Ok(Some(p)) => out.extend_from_slice(&p),
            Ok(None) => break,
            Err(e) => return (out, Err(e.to_string())),
        }
    }
    let verdict = blob.finish().map_err(|e| e.to_string());
    (out, verdict)
}

#[test]
fn any_chunking_of_the_right_bytes_verifies() {
    let bytes = data();
    for seed in 1..40 {
        let (out, verdict) = read_all(hashed(cut(&bytes, seed), &bytes));
        assert_eq!(verdict, Ok(()), "seed {seed}");
        assert_eq!(out, bytes);
    }
    let empty = read_all(hashed(cut(b"", 1), b""));
    assert_eq!(empty.1, Ok(()));
}

#[test]
fn one_byte_too_many_stops_the_read() {
    let bytes = data();
    let mut more = bytes.clone();
    more.push(0);
    for seed in 1..20 {
        let mut body = cut(&more, seed);
        body.pieces.push_back(vec![1; 10_000]);
        let mut blob = counted(body, &bytes);
        let mut read = 0u64;
        let error = loop {
            match block_on(blob.chunk()) {
                Ok(Some(p)) => read += p.len() as u64,
                Ok(None) => panic!("the body ran over unnoticed"),
                Err(e) => break e,
            }
        };
        assert_eq!(error, BlobError::Oversize { size: 5000 });
        assert!(read <= 5000);
        // Nothing more is read, and the verdict is a size mismatch.
        assert_eq!(block_on(blob.chunk()), Ok(None));
        assert!(blob.complete());
        assert!(blob.received() > 5000 && blob.received() <= 5000 + 97);
        assert!(matches!(
            blob.check(&Digest::sha256(&more)),
            Err(VerifyError::Size { expected: 5000, .. })
        ));
    }
}

#[test]
fn a_short_body_is_a_size_mismatch_with_the_numbers() {
    let bytes = data();
    let (_, verdict) = read_all(hashed(cut(&bytes[..4000], 3), &bytes));
    let e = verdict.unwrap_err();
    assert!(e.contains("4000") && e.contains("5000"), "{e}");
}

#[test]
fn other_bytes_of_the_right_size_are_a_digest_mismatch() {
    let bytes = data();
    let mut other = bytes.clone();
    other[4321] ^= 1;
    let blob = hashed(cut(&other, 5), &bytes);
    let (_, verdict) = read_all(blob);
    let e = verdict.unwrap_err();
    assert!(e.contains(&Digest::sha256(&other).to_string()), "{e}");
}

#[test]
fn a_broken_connection_says_how_far_it_got_and_is_not_complete() {
    let bytes = data();
    let mut body = cut(&bytes[..1234], 9);
    body.fail = Some(FetchError::new("connection reset"));
    let mut blob = counted(body, &bytes);
    let error = loop {
        match block_on(blob.chunk()) {
            Ok(Some(_)) => {}
            Ok(None) => panic!("the error was lost"),
            Err(e) => break e,
        }
    };
    assert_eq!(
        error.to_string(),
        "download failed after 1234 bytes: connection reset"
    );
    assert!(!blob.complete());
    assert_eq!(block_on(blob.chunk()), Ok(None));
}

#[test]
fn the_callers_hash_is_checked_against_the_descriptor() {
    let bytes = data();
    let mut blob = counted(cut(&bytes, 7), &bytes);
    let mut hasher = Hasher::new(crate::oci::Algorithm::Sha256);
    while let Ok(Some(p)) = block_on(blob.chunk()) {
        hasher.update(&p);
    }
    assert!(blob.complete());
    assert_eq!(blob.check(&hasher.finish()), Ok(()));
    assert!(blob.check(&Digest::sha256(b"other")).is_err());
}
