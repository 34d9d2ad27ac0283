//! Resuming on scripted answers: a drop answered with 206 or with the whole
//! blob again, a second drop, a wrong range, a wrong `Content-Length`, other
//! bytes after the resume. Every read goes through the verifying
//! [`HashedBlob`], as the layer scan's does.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::task::{Context, Poll, Waker};

use super::*;
use crate::oci::VerifyError;
use crate::registry::{BlobError, HashedBlob};

/// A body of scripted pieces, then maybe a dropped connection.
struct Pieces {
    pieces: VecDeque<Vec<u8>>,
    drop: bool,
}

impl Body for Pieces {
    async fn chunk(&mut self) -> Result<Option<Vec<u8>>, FetchError> {
        match self.pieces.pop_front() {
            Some(p) => Ok(Some(p)),
            None if self.drop => Err(FetchError::new("connection reset")),
            None => Ok(None),
        }
    }
}

/// One scripted answer: status, headers, bytes in pieces of 7, whether the
/// connection drops after them.
type Answer = (u16, Vec<(&'static str, String)>, Vec<u8>, bool);

struct Script {
    answers: RefCell<VecDeque<Answer>>,
    opened: RefCell<Vec<u64>>,
}

impl Reopen for &Script {
    type Body = Pieces;

    async fn open(&self, from: u64) -> Result<Response<Pieces>, RegistryError> {
        self.opened.borrow_mut().push(from);
        let (status, hs, bytes, drop) = self
            .answers
            .borrow_mut()
            .pop_front()
            .expect("unscripted open");
        Ok(Response {
            status,
            headers: hs.into_iter().collect(),
            body: Pieces {
                pieces: bytes.chunks(7).map(<[u8]>::to_vec).collect(),
                drop,
            },
        })
    }

    fn source(&self) -> String {
        "reg.test/team/app".to_owned()
    }
}

fn script(answers: Vec<Answer>) -> Script {
    Script {
        answers: RefCell::new(VecDeque::from(answers)),
        opened: RefCell::new(Vec::new()),
    }
}

fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("the script never waits"),
    }
}

fn blob() -> Vec<u8> {
    (0..1000u32).map(|i| (i * 7 % 251) as u8).collect()
}

/// Reads blob `of` through `script` to its end: the bytes and the verdict.
fn read(script: &Script, of: &[u8]) -> (Vec<u8>, Result<Result<(), VerifyError>, BlobError>) {
    let digest = Digest::sha256(of);
    let size = of.len() as u64;
    let body = block_on(ResumingBody::open(script, &digest, size)).expect("opened");
    let mut blob = HashedBlob::new(body, &digest, size);
    let mut out = Vec::new();
    loop {
        match block_on(blob.chunk()) {
            Ok(Some(p)) => out.extend_from_slice(&p),
            Ok(None) => return (out, Ok(blob.finish())),
            Err(e) => return (out, Err(e)),
        }
    }
}

fn range(from: usize, of: &[u8]) -> Vec<(&'static str, String)> {
    vec![(
        "Content-Range",
        format!("bytes {from}-{}/{}", of.len() - 1, of.len()),
    )]
}

#[test]
fn a_drop_resumes_once_from_its_byte_and_the_whole_blob_verifies() {
    let b = blob();
    let s = script(vec![
        (200, vec![], b[..400].to_vec(), true),
        (206, range(400, &b), b[400..].to_vec(), false),
    ]);
    let (bytes, verdict) = read(&s, &b);
    assert_eq!(bytes, b);
    assert_eq!(verdict, Ok(Ok(())));
    assert_eq!(*s.opened.borrow(), vec![0, 400]);
}

#[test]
fn a_200_to_the_resume_has_its_prefix_skipped() {
    let b = blob();
    let s = script(vec![
        (200, vec![], b[..403].to_vec(), true),
        (200, vec![], b.clone(), false),
    ]);
    let (bytes, verdict) = read(&s, &b);
    assert_eq!(bytes, b);
    assert_eq!(verdict, Ok(Ok(())));
}

#[test]
fn other_bytes_after_the_resume_fail_the_digest() {
    let b = blob();
    let mut other = b.clone();
    other[700] ^= 1;
    let s = script(vec![
        (200, vec![], b[..400].to_vec(), true),
        (206, range(400, &b), other[400..].to_vec(), false),
    ]);
    let (_, verdict) = read(&s, &b);
    assert!(
        matches!(verdict, Ok(Err(VerifyError::Digest { .. }))),
        "{verdict:?}"
    );
}

#[test]
fn a_second_drop_is_an_error_naming_the_blob_and_both_offsets() {
    let b = blob();
    let s = script(vec![
        (200, vec![], b[..400].to_vec(), true),
        (206, range(400, &b), b[400..700].to_vec(), true),
    ]);
    let (bytes, verdict) = read(&s, &b);
    assert_eq!(bytes.len(), 700);
    let Err(BlobError::Interrupted { received, error }) = verdict else {
        panic!("{verdict:?}");
    };
    assert_eq!(received, 700);
    let text = error.to_string();
    for part in [
        "dropped again at byte 700",
        "at byte 400",
        "not resumed twice",
        "reg.test/team/app",
        &Digest::sha256(&b).to_string(),
    ] {
        assert!(text.contains(part), "{part:?} in {text}");
    }
    assert_eq!(s.opened.borrow().len(), 2, "resumed once only");
}

#[test]
fn a_resume_answered_with_another_range_or_status_is_an_error() {
    let b = blob();
    for (status, headers) in [(206, range(0, &b)), (204, vec![])] {
        let s = script(vec![
            (200, vec![], b[..400].to_vec(), true),
            (status, headers, b.clone(), false),
        ]);
        let (bytes, verdict) = read(&s, &b);
        assert_eq!(bytes.len(), 400);
        let Err(BlobError::Interrupted { error, .. }) = verdict else {
            panic!("{verdict:?}");
        };
        assert!(error.to_string().contains("resuming blob"), "{error}");
    }
}

#[test]
fn a_content_length_other_than_the_size_is_refused_before_reading() {
    let b = blob();
    let s = script(vec![(
        200,
        vec![("Content-Length", "999".to_owned())],
        b.clone(),
        false,
    )]);
    let digest = Digest::sha256(&b);
    let err = block_on(ResumingBody::open(&s, &digest, 1000))
        .and_then(ResumingBody::checked)
        .err()
        .expect("refused");
    assert!(
        matches!(
            err,
            RegistryError::Length {
                announced: 999,
                expected: 1000,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("Content-Length"), "{err}");
    // A resume's Content-Length must be the rest of the blob.
    let s = script(vec![
        (200, vec![], b[..400].to_vec(), true),
        (
            206,
            {
                let mut h = range(400, &b);
                h.push(("Content-Length", "10".to_owned()));
                h
            },
            b[400..].to_vec(),
            false,
        ),
    ]);
    let (_, verdict) = read(&s, &b);
    assert!(
        matches!(verdict, Err(BlobError::Interrupted { .. })),
        "{verdict:?}"
    );
}
