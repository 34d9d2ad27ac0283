//! `docker search`: Docker Hub's search endpoint, as Docker's daemon and CLI
//! use it — the request, the answer read defensively, the filters applied
//! as the daemon applies them, and the output the CLI prints.
//!
//! Sans-IO like the rest of the core: the request goes through the
//! [`crate::registry::Fetch`] door ([`client::search`]); everything else is
//! pure and tested on values.
//!
//! * this module — the query (`TERM`, `--limit`) and its URL
//!   (`GET https://index.docker.io/v1/search?q=TERM&n=LIMIT`, moby's
//!   `searchRepositories`), the errors;
//! * [`filter`] — `--filter stars=N|is-official=BOOL|is-automated=BOOL`,
//!   validated with the daemon's messages and applied in its order;
//! * [`response`] — the JSON answer (`num_results`, `query`, `results[]`),
//!   bounded in size and count, every string kept as data;
//! * [`format`] — the table (`NAME DESCRIPTION STARS OFFICIAL`), descriptions
//!   truncated to 45 columns unless `--no-trunc`, and `--format` templates
//!   over `.Name .Description .StarCount .IsOfficial .IsAutomated`.

pub mod client;
pub mod filter;
pub mod format;
pub mod response;

pub use client::search;
pub use filter::SearchFilters;
pub use format::{ellipsis, SearchFormat};
pub use response::{parse_results, SearchResult, SearchResults};

use crate::registry::plan::encode_query_value;
use crate::registry::FetchError;

/// Docker Hub's search endpoint (moby's `IndexServer` + `search`): the only
/// place `layerlens search` and the proxy's search route go by default.
pub const DOCKER_HUB_SEARCH: &str = "https://index.docker.io/v1/search";
/// Results asked for when no `--limit` is given (moby's `defaultSearchLimit`).
pub const DEFAULT_LIMIT: u32 = 25;
/// The most results one search may ask for (moby refuses more).
pub const MAX_LIMIT: u32 = 100;
/// The largest search answer read: 100 results with long descriptions are
/// far below it.
pub const MAX_RESPONSE_BYTES: usize = 512 * 1024;
/// The longest search term accepted, in bytes.
pub const MAX_TERM: usize = 512;

/// Why a search could not be made or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SearchError {
    /// `--limit` outside 1–100 (moby's wording).
    #[error("limit {0} is outside the range of [1, 100]")]
    Limit(i64),
    /// An empty term.
    #[error("the search term is empty")]
    EmptyTerm,
    /// A term longer than [`MAX_TERM`] or with control characters.
    #[error("the search term is longer than {MAX_TERM} bytes or has control characters")]
    BadTerm,
    /// `https://…` as a term (moby's wording).
    #[error("invalid repository name: repository name ({0}) should not have a scheme")]
    Scheme(String),
    /// A term naming another registry (`ghcr.io/x`): only Docker Hub has a
    /// search endpoint here.
    #[error("only Docker Hub can be searched; {0} is another registry (open its repositories by name instead)")]
    NotDockerHub(String),
    /// An invalid `--filter` (the daemon's wording).
    #[error("{0}")]
    Filter(String),
    /// The network did not deliver an answer.
    #[error("searching Docker Hub failed: {0}")]
    Fetch(FetchError),
    /// An answer other than 200 (moby: `Unexpected status code N`).
    #[error("Unexpected status code {0}")]
    Status(u16),
    /// The answer is not the search JSON (moby's wording, with the reason).
    #[error("error decoding registry search results: {0}")]
    Decode(String),
}

impl SearchError {
    /// Whether the error is about what the user asked (a usage error) rather
    /// than about the network or the answer.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            SearchError::Limit(_)
                | SearchError::EmptyTerm
                | SearchError::BadTerm
                | SearchError::Scheme(_)
                | SearchError::NotDockerHub(_)
                | SearchError::Filter(_)
        )
    }
}

/// A search to make: the term as Docker Hub gets it, and the limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    term: String,
    limit: u32,
}

impl SearchQuery {
    /// Checks a `docker search` term and `--limit` (0 or `None`: the
    /// default 25) the way moby does: no scheme, a term naming
    /// `docker.io/` or `index.docker.io/` searches Docker Hub for the rest
    /// (`library/` dropped, as for official images), a term naming another
    /// registry is refused (that registry has no search here), and the
    /// limit is 1–100.
    pub fn new(term: &str, limit: Option<i64>) -> Result<SearchQuery, SearchError> {
        let limit = match limit.unwrap_or(0) {
            0 => DEFAULT_LIMIT,
            n if (1..=i64::from(MAX_LIMIT)).contains(&n) => n as u32,
            n => return Err(SearchError::Limit(n)),
        };
        if term.len() > MAX_TERM || term.chars().any(char::is_control) {
            return Err(SearchError::BadTerm);
        }
        if term.trim().is_empty() {
            return Err(SearchError::EmptyTerm);
        }
        if term.contains("://") {
            return Err(SearchError::Scheme(term.to_owned()));
        }
        let term = match term.split_once('/') {
            Some((index, rest))
                if index.contains('.') || index.contains(':') || index == "localhost" =>
            {
                if index != "docker.io" && index != "index.docker.io" {
                    return Err(SearchError::NotDockerHub(index.to_owned()));
                }
                rest.strip_prefix("library/").unwrap_or(rest)
            }
            _ => term,
        };
        if term.is_empty() {
            return Err(SearchError::EmptyTerm);
        }
        Ok(SearchQuery {
            term: term.to_owned(),
            limit,
        })
    }

    /// The term sent as `q`.
    pub fn term(&self) -> &str {
        &self.term
    }

    /// The number of results asked for (`n`).
    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// The request URL on `endpoint` (normally [`DOCKER_HUB_SEARCH`]):
    /// `ENDPOINT?q=TERM&n=LIMIT`, the term percent-encoded.
    pub fn url(&self, endpoint: &str) -> String {
        format!(
            "{endpoint}?q={}&n={}",
            encode_query_value(&self.term),
            self.limit
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_defaults_to_25_and_is_bounded_like_moby() {
        assert_eq!(SearchQuery::new("busybox", None).unwrap().limit(), 25);
        assert_eq!(SearchQuery::new("busybox", Some(0)).unwrap().limit(), 25);
        assert_eq!(SearchQuery::new("busybox", Some(100)).unwrap().limit(), 100);
        assert_eq!(
            SearchQuery::new("busybox", Some(101))
                .unwrap_err()
                .to_string(),
            "limit 101 is outside the range of [1, 100]"
        );
        assert_eq!(
            SearchQuery::new("busybox", Some(-1))
                .unwrap_err()
                .to_string(),
            "limit -1 is outside the range of [1, 100]"
        );
    }

    #[test]
    fn terms_are_split_like_splitreposearchterm() {
        let q = |t: &str| SearchQuery::new(t, None).map(|q| q.term().to_owned());
        assert_eq!(q("ubuntu").unwrap(), "ubuntu");
        assert_eq!(q("samalba/hipache").unwrap(), "samalba/hipache");
        assert_eq!(q("docker.io/library/nginx").unwrap(), "nginx");
        assert_eq!(q("index.docker.io/bitnami/redis").unwrap(), "bitnami/redis");
        assert_eq!(
            q("ghcr.io/org/app").unwrap_err(),
            SearchError::NotDockerHub("ghcr.io".into())
        );
        assert_eq!(
            q("localhost/app").unwrap_err(),
            SearchError::NotDockerHub("localhost".into())
        );
        assert_eq!(
            q("https://index.docker.io/nginx").unwrap_err().to_string(),
            "invalid repository name: repository name (https://index.docker.io/nginx) should not have a scheme"
        );
        assert_eq!(q("  ").unwrap_err(), SearchError::EmptyTerm);
        assert_eq!(q("a\nb").unwrap_err(), SearchError::BadTerm);
        assert_eq!(
            q(&"a".repeat(MAX_TERM + 1)).unwrap_err(),
            SearchError::BadTerm
        );
    }

    #[test]
    fn the_url_carries_the_encoded_term_and_limit() {
        let q = SearchQuery::new("my app&n=1", Some(5)).unwrap();
        assert_eq!(
            q.url(DOCKER_HUB_SEARCH),
            "https://index.docker.io/v1/search?q=my%20app%26n%3D1&n=5"
        );
    }
}
