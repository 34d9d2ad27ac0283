//! The search request over the [`Fetch`] door: the browser sends it through
//! the proxy's search route, the command line straight to Docker Hub.

use crate::registry::{read_to_end, Fetch, Headers, Method, Request};

use super::{parse_results, SearchError, SearchQuery, SearchResults, MAX_RESPONSE_BYTES};

/// Asks `endpoint` (normally [`super::DOCKER_HUB_SEARCH`]) for `query`:
/// `GET ENDPOINT?q=TERM&n=LIMIT` with `Accept: application/json` and no
/// credentials; a status other than 200 or an answer that is not the search
/// JSON is an error; at most [`MAX_RESPONSE_BYTES`] are read.
pub async fn search<F: Fetch>(
    fetch: &F,
    endpoint: &str,
    query: &SearchQuery,
) -> Result<SearchResults, SearchError> {
    let mut headers = Headers::new();
    headers.push("Accept", "application/json");
    let request = Request {
        method: Method::Get,
        url: query.url(endpoint),
        headers,
    };
    let mut response = fetch.fetch(request).await.map_err(SearchError::Fetch)?;
    if response.status != 200 {
        return Err(SearchError::Status(response.status));
    }
    let body = read_to_end(&mut response.body, MAX_RESPONSE_BYTES)
        .await
        .map_err(|e| SearchError::Decode(e.message))?;
    parse_results(&body)
}
