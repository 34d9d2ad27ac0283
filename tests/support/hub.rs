//! A small stand-in for Docker Hub's search endpoint,
//! `GET /v1/search?q=TERM&n=LIMIT`, answering with the search API's JSON
//! shape (`num_pages`, `num_results`, `page_size`, `page`, `query`,
//! `results[] {name, description, star_count, is_official, is_automated}`).
//!
//! It stands in for Docker Hub because Docker Hub is unreachable from the
//! machines these tests run on; everything else in the tests is real (the
//! proxy, the CLI, the page). It binds 127.0.0.1 only, matches the term as
//! a case-insensitive substring of a result's name or description, returns
//! the first `n` (default 25), and records every request it receives.

use crate::http::{Reply, Upstream};

/// One repository the stand-in knows.
#[derive(Debug, Clone)]
pub struct Entry {
    /// `name`.
    pub name: &'static str,
    /// `description`.
    pub description: &'static str,
    /// `star_count`.
    pub stars: u64,
    /// `is_official`.
    pub official: bool,
    /// `is_automated`.
    pub automated: bool,
}

/// A description that would run script if a page inserted it as HTML.
pub const HOSTILE_DESCRIPTION: &str =
    "<img src=x onerror=\"document.body.dataset.pwned='1'\"><b>bold</b> & busybox";

/// The repositories the stand-in answers from, in Docker Hub's order.
pub fn catalogue() -> Vec<Entry> {
    vec![
        Entry {
            name: "busybox",
            description: "Busybox base image.",
            stars: 3300,
            official: true,
            automated: false,
        },
        Entry {
            name: "progrium/busybox",
            description: "",
            stars: 70,
            official: false,
            automated: true,
        },
        Entry {
            name: "radial/busyboxplus",
            description: "Full-chain, Internet enabled, busybox made from scratch. Comes in git and cURL flavors.",
            stars: 50,
            official: false,
            automated: true,
        },
        Entry {
            name: "hostile/busybox",
            description: HOSTILE_DESCRIPTION,
            stars: 2,
            official: false,
            automated: false,
        },
        Entry {
            name: "alpine",
            description: "A minimal Docker image based on Alpine Linux\nwith a complete package index.",
            stars: 11000,
            official: true,
            automated: false,
        },
    ]
}

/// A request the stand-in received.
pub use crate::http::Request as HubRequest;

/// The running stand-in (a recording test server from
/// `tests/support/proxy/`); it lives as long as the test process.
pub struct Hub {
    upstream: Upstream,
}

impl Hub {
    /// Starts the stand-in on `127.0.0.1:0` with [`catalogue`].
    pub fn start() -> Hub {
        Hub {
            upstream: Upstream::start(search),
        }
    }

    /// `http://127.0.0.1:PORT/v1/search`: what `--docker-hub-search` takes.
    pub fn url(&self) -> String {
        format!("http://{}/v1/search", self.upstream.addr())
    }

    /// `127.0.0.1:PORT`.
    pub fn host_port(&self) -> String {
        self.upstream.host_port()
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<HubRequest> {
        self.upstream.requests()
    }
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(s.get(i + 1..i + 3).unwrap_or(""), 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The JSON answer for `q` and `n`.
pub fn answer(q: &str, n: usize) -> String {
    let needle = q.to_lowercase();
    let matched: Vec<Entry> = catalogue()
        .into_iter()
        .filter(|e| {
            e.name.to_lowercase().contains(&needle)
                || e.description.to_lowercase().contains(&needle)
        })
        .collect();
    let results: Vec<serde_json::Value> = matched
        .iter()
        .take(n)
        .map(|e| {
            serde_json::json!({
                "name": e.name,
                "description": e.description,
                "star_count": e.stars,
                "is_official": e.official,
                "is_automated": e.automated,
            })
        })
        .collect();
    serde_json::json!({
        "num_pages": 1,
        "num_results": matched.len(),
        "page_size": n,
        "page": 1,
        "query": q,
        "results": results,
    })
    .to_string()
}

/// Answers `GET /v1/search?q=…&n=…` as Docker Hub does; anything else 404.
fn search(r: &HubRequest) -> Reply {
    let (path, query) = r.target.split_once('?').unwrap_or((&r.target, ""));
    let (status, body) = if r.method == "GET" && path == "/v1/search" {
        let mut q = String::new();
        let mut n = 25;
        for pair in query.split('&') {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            match k {
                "q" => q = decode(v),
                "n" => n = v.parse().unwrap_or(25),
                _ => {}
            }
        }
        (200, answer(&q, n))
    } else {
        (404, r#"{"message":"not found"}"#.to_owned())
    };
    Reply::new(status, body).header("Content-Type", "application/json")
}
