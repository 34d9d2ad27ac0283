//! Paths the real registry cannot show in a test, played by a scripted
//! fake registry: it accepts an expired token for 60 s of leeway, so a
//! *cached* token being refused is played here, and it never answers 429 or
//! 5xx, so the retries are counted here with the waits asked for
//! (everything else is tested against CNCF distribution in tests/).
use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::task::{Context, Poll, Waker};

use super::*;
use crate::registry::FetchError;

/// A scripted answer: status, headers, body.
type Answer = (u16, Vec<(&'static str, String)>, Vec<u8>);

struct Scripted {
    answers: RefCell<VecDeque<Answer>>,
    seen: RefCell<Vec<Request>>,
    slept: RefCell<Vec<u64>>,
}

impl Scripted {
    fn new(answers: Vec<Answer>) -> Scripted {
        Scripted {
            answers: RefCell::new(VecDeque::from(answers)),
            seen: RefCell::new(Vec::new()),
            slept: RefCell::new(Vec::new()),
        }
    }
}

#[derive(Debug)]
struct Bytes(Option<Vec<u8>>);

impl Body for Bytes {
    async fn chunk(&mut self) -> Result<Option<Vec<u8>>, FetchError> {
        Ok(self.0.take())
    }
}

impl Fetch for Scripted {
    type Body = Bytes;

    async fn sleep(&self, ms: u64) {
        self.slept.borrow_mut().push(ms);
    }
    async fn fetch(&self, request: Request) -> Result<Response<Bytes>, FetchError> {
        self.seen.borrow_mut().push(request);
        let (status, hs, body) = self
            .answers
            .borrow_mut()
            .pop_front()
            .expect("unscripted request");
        Ok(Response {
            status,
            headers: hs.into_iter().collect(),
            body: Bytes(Some(body)),
        })
    }
}

fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("the scripted fetch never waits"),
    }
}

#[test]
fn a_refused_cached_token_is_replaced_once_then_reported() {
    let challenge = (
        "WWW-Authenticate",
        r#"Bearer realm="https://auth.test/token",service="reg",scope="repository:a:pull""#
            .to_string(),
    );
    let token = |t: &str| {
        (
            200,
            vec![],
            format!(r#"{{"token":"{t}","expires_in":300}}"#).into_bytes(),
        )
    };
    let fake = Scripted::new(vec![
        (401, vec![challenge.clone()], vec![]), // anonymous try
        token("one"),
        (200, vec![], b"ok".to_vec()),          // with token one
        (401, vec![challenge.clone()], vec![]), // token one now refused
        token("two"),
        (200, vec![], b"ok".to_vec()),          // with token two
        (401, vec![challenge.clone()], vec![]), // two refused
        token("three"),
        (401, vec![challenge], vec![]), // three refused too: give up
    ]);
    let client = Client::new(fake, || 1_000);
    let e = Endpoint::for_host("reg.test", &[]);
    let url = e.url("/v2/a/blobs/x");
    let get = || {
        block_on(client.send(
            &e,
            Method::Get,
            url.clone(),
            Headers::new(),
            "repository:a:pull",
        ))
    };
    assert_eq!(get().unwrap().status, 200);
    assert_eq!(get().unwrap().status, 200);
    let err = get().unwrap_err();
    // Anonymous tokens refused twice: the registry wants credentials.
    assert!(
        matches!(err, RegistryError::CredentialsRequired { .. }),
        "{err:?}"
    );
    let seen = client.fetcher().seen.borrow();
    let auth: Vec<Option<&str>> = seen
        .iter()
        .map(|r| r.headers.get("authorization"))
        .collect();
    assert_eq!(
        auth,
        vec![
            None,
            None,
            Some("Bearer one"),
            Some("Bearer one"),
            None,
            Some("Bearer two"),
            Some("Bearer two"),
            None,
            Some("Bearer three"),
        ]
    );
    assert!(seen[1]
        .url
        .starts_with("https://auth.test/token?service=reg&scope="));
}

fn ask(client: &Client<Scripted, fn() -> u64>) -> Result<Response<Bytes>, RegistryError> {
    let e = Endpoint::for_host("reg.test", &[]);
    block_on(client.send(
        &e,
        Method::Get,
        e.url("/v2/a/blobs/x"),
        Headers::new(),
        "repository:a:pull",
    ))
}

fn now() -> u64 {
    1_000
}

#[test]
fn a_429_or_5xx_is_asked_again_twice_after_the_wait_it_names() {
    let after = |s: &str| vec![("Retry-After", s.to_owned())];
    let client = Client::new(
        Scripted::new(vec![
            (503, after("3"), vec![]),
            (429, vec![], vec![]),
            (200, vec![], b"ok".to_vec()),
        ]),
        now as fn() -> u64,
    );
    assert_eq!(ask(&client).unwrap().status, 200);
    // Retry-After: 3, then the default back-off of the second retry.
    assert_eq!(*client.fetcher().slept.borrow(), vec![3_000, 2_000]);

    let client = Client::new(
        Scripted::new(vec![
            (502, vec![], vec![]),
            (502, after("0"), vec![]),
            (502, vec![], b"bad gateway".to_vec()),
        ]),
        now as fn() -> u64,
    );
    let e = ask(&client).unwrap();
    assert_eq!(
        e.status, 502,
        "the last answer is handed back for its error"
    );
    let err = block_on(client.error_from("reg.test", "blob x", e));
    assert!(
        err.to_string().contains("still failing after 2 retries"),
        "{err}"
    );
    assert_eq!(client.fetcher().seen.borrow().len(), 3, "at most 2 retries");

    // Asked to wait longer than 10 s: not waited for, said so.
    let client = Client::new(
        Scripted::new(vec![(429, after("3600"), vec![])]),
        now as fn() -> u64,
    );
    let e = ask(&client).unwrap();
    let err = block_on(client.error_from("reg.test", "blob x", e));
    assert!(
        matches!(
            err,
            RegistryError::WaitTooLong {
                seconds: 3600,
                status: 429,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("asked to wait 3600 s"), "{err}");
    assert!(client.fetcher().slept.borrow().is_empty());
}
