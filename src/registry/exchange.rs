//! One request and its answer as the distribution protocol reads them,
//! whoever planned the request (the registry client, or a layer worker
//! sending a request the page planned): a transport failure named by its
//! registry, the rate-limit headers noted, a body read up to a limit, and a
//! status outside 2xx turned into the [`RegistryError`] it is.

use super::codes::parse_error_body;
use super::error::RegistryError;
use super::http::{read_to_end, Body, Fetch, Request, Response};
use super::RateLimit;

/// Largest error body read from a refused request.
pub(crate) const MAX_ERROR_BODY: usize = 64 * 1024;

/// Sends `request` to `registry`; the response and the rate limit it
/// announced (Docker Hub's `RateLimit-*` headers), if any.
pub async fn send<F: Fetch>(
    fetch: &F,
    registry: &str,
    request: Request,
) -> Result<(Response<F::Body>, Option<RateLimit>), RegistryError> {
    let response = fetch
        .fetch(request)
        .await
        .map_err(|source| RegistryError::Fetch {
            registry: registry.to_owned(),
            source,
        })?;
    let rate_limit = RateLimit::from_headers(
        response.headers.get("ratelimit-limit"),
        response.headers.get("ratelimit-remaining"),
    );
    Ok((response, rate_limit))
}

/// Reads the whole body of an answer from `registry`, at most `limit`
/// bytes (more is a transport error: the caller's limit is the protocol's).
pub async fn read_body<B: Body>(
    registry: &str,
    response: &mut Response<B>,
    limit: usize,
) -> Result<Vec<u8>, RegistryError> {
    read_to_end(&mut response.body, limit)
        .await
        .map_err(|source| RegistryError::Fetch {
            registry: registry.to_owned(),
            source,
        })
}

/// The error a non-2xx answer about `object` from `registry` is: its status,
/// its distribution error body (read up to [`MAX_ERROR_BODY`]; none for 204
/// and 304) and the rate limit known.
pub async fn error_answer<B: Body>(
    registry: &str,
    object: &str,
    mut response: Response<B>,
    rate_limit: Option<RateLimit>,
) -> RegistryError {
    let body = if matches!(response.status, 204 | 304) {
        Vec::new()
    } else {
        read_to_end(&mut response.body, MAX_ERROR_BODY)
            .await
            .unwrap_or_default()
    };
    RegistryError::from_status(
        registry,
        response.status,
        object,
        &parse_error_body(&body),
        rate_limit,
    )
}
