//! The search answer: `{"num_results": N, "query": "…", "results": [{"name",
//! "description", "star_count", "is_official", "is_automated"}, …]}` (moby's
//! `registry.SearchResults`). Read defensively: missing and `null` fields
//! take their zero value, unknown fields are ignored, a wrong type fails
//! the whole answer (as Go's decoder does), at most [`MAX_RESULTS`] results
//! are kept, and every string stays data — the page draws it as text only.

use serde::Deserialize;

use super::{SearchError, MAX_LIMIT};

/// The most results kept from one answer (a search asks for at most 100).
pub const MAX_RESULTS: usize = MAX_LIMIT as usize;

/// One repository found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchResult {
    /// The repository (`nginx`, `bitnami/nginx`), as Docker Hub wrote it.
    pub name: String,
    /// Its short description (may hold anything, newlines included).
    pub description: String,
    /// Stars.
    pub star_count: i64,
    /// Whether it is a Docker Official Image.
    pub is_official: bool,
    /// Deprecated "automated build" flag (see [`super::filter`]).
    pub is_automated: bool,
}

/// A whole answer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchResults {
    /// How many repositories match in all (may exceed the results given).
    pub num_results: i64,
    /// The query as the server understood it.
    pub query: String,
    /// The results, in the server's order.
    pub results: Vec<SearchResult>,
}

#[derive(Deserialize)]
struct Wire {
    #[serde(default)]
    num_results: Option<i64>,
    #[serde(default)]
    query: Option<String>,
    #[serde(default)]
    results: Option<Vec<WireResult>>,
}

#[derive(Deserialize)]
struct WireResult {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    star_count: Option<i64>,
    #[serde(default)]
    is_official: Option<bool>,
    #[serde(default)]
    is_automated: Option<bool>,
}

/// Reads a search answer (at most [`super::MAX_RESPONSE_BYTES`] bytes).
pub fn parse_results(body: &[u8]) -> Result<SearchResults, SearchError> {
    if body.len() > super::MAX_RESPONSE_BYTES {
        return Err(SearchError::Decode(format!(
            "the answer is larger than {} bytes",
            super::MAX_RESPONSE_BYTES
        )));
    }
    let wire: Wire =
        serde_json::from_slice(body).map_err(|e| SearchError::Decode(e.to_string()))?;
    let results = wire
        .results
        .unwrap_or_default()
        .into_iter()
        .take(MAX_RESULTS)
        .map(|r| SearchResult {
            name: r.name.unwrap_or_default(),
            description: r.description.unwrap_or_default(),
            star_count: r.star_count.unwrap_or_default(),
            is_official: r.is_official.unwrap_or_default(),
            is_automated: r.is_automated.unwrap_or_default(),
        })
        .collect();
    Ok(SearchResults {
        num_results: wire.num_results.unwrap_or_default(),
        query: wire.query.unwrap_or_default(),
        results,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_docker_hub_shape_is_read() {
        let body = br#"{"num_pages":1,"num_results":2,"page_size":25,"page":1,"query":"busybox",
            "results":[{"name":"busybox","description":"Busybox base image.","star_count":3000,
            "is_official":true,"is_automated":false,"extra":[1]},
            {"name":"<b>x</b>","description":null,"star_count":0}]}"#;
        let r = parse_results(body).unwrap();
        assert_eq!(r.num_results, 2);
        assert_eq!(r.query, "busybox");
        assert_eq!(r.results.len(), 2);
        assert_eq!(r.results[0].star_count, 3000);
        assert!(r.results[0].is_official);
        assert_eq!(r.results[1].name, "<b>x</b>");
        assert_eq!(r.results[1].description, "");
        assert!(!r.results[1].is_official);
    }

    #[test]
    fn wrong_shapes_and_sizes_are_refused_and_counts_bounded() {
        let e = parse_results(b"<html>").unwrap_err().to_string();
        assert!(
            e.starts_with("error decoding registry search results: "),
            "{e}"
        );
        assert!(parse_results(br#"{"results":[{"star_count":"many"}]}"#).is_err());
        assert!(parse_results(&vec![b' '; crate::search::MAX_RESPONSE_BYTES + 1]).is_err());
        let many: Vec<String> = (0..150).map(|i| format!(r#"{{"name":"r{i}"}}"#)).collect();
        let body = format!(r#"{{"results":[{}]}}"#, many.join(","));
        assert_eq!(
            parse_results(body.as_bytes()).unwrap().results.len(),
            MAX_RESULTS
        );
        assert_eq!(parse_results(b"{}").unwrap(), SearchResults::default());
    }
}
