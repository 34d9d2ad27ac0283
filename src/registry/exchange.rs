//! One request and its answer as the distribution protocol reads them,
//! whoever planned the request (the registry client, or a layer worker
//! sending a request the page planned): a transport failure named by its
//! registry, a 429 or 5xx asked again within bounds ([`super::retry`]), the
//! rate-limit headers noted, a body read up to a limit, and a status outside
//! 2xx turned into the [`RegistryError`] it is.

use super::codes::parse_error_body;
use super::error::RegistryError;
use super::http::{read_to_end, Body, Fetch, Request, Response};
use super::retry::{self, Wait, MAX_RETRIES};
use super::RateLimit;

/// Largest error body read from a refused request.
pub(crate) const MAX_ERROR_BODY: usize = 64 * 1024;

/// Sends `request` to `registry`; the response and the rate limit it
/// announced (Docker Hub's `RateLimit-*` headers), if any. A 429 or 5xx is
/// asked again up to [`MAX_RETRIES`] times after the wait its `Retry-After`
/// names (at most [`retry::MAX_WAIT_MS`]); the last answer is returned as it
/// came, for [`error_answer`] to say why it gave up.
pub async fn send<F: Fetch>(
    fetch: &F,
    registry: &str,
    request: Request,
) -> Result<(Response<F::Body>, Option<RateLimit>), RegistryError> {
    let mut retries = 0;
    loop {
        let response =
            fetch
                .fetch(request.clone())
                .await
                .map_err(|source| RegistryError::Fetch {
                    registry: registry.to_owned(),
                    source,
                })?;
        if retries < MAX_RETRIES && retry::is_transient(response.status) {
            if let Wait::Ms(ms) = retry::wait(&response.headers, retries) {
                // Dropped unread: the connection closes, the body is not wanted.
                drop(response);
                fetch.sleep(ms).await;
                retries += 1;
                continue;
            }
        }
        let rate_limit = RateLimit::from_headers(
            response.headers.get("ratelimit-limit"),
            response.headers.get("ratelimit-remaining"),
        );
        return Ok((response, rate_limit));
    }
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
/// and 304) and the rate limit known. A 429 or 5xx has been through
/// [`send`]: either it asked for too long a wait ([`RegistryError::WaitTooLong`])
/// or it was still failing after the retries (the error says so).
pub async fn error_answer<B: Body>(
    registry: &str,
    object: &str,
    mut response: Response<B>,
    rate_limit: Option<RateLimit>,
) -> RegistryError {
    let transient = retry::is_transient(response.status);
    if transient {
        if let Wait::TooLong(seconds) = retry::wait(&response.headers, 0) {
            return RegistryError::WaitTooLong {
                registry: registry.to_owned(),
                status: response.status,
                object: object.to_owned(),
                seconds,
            };
        }
    }
    let body = if matches!(response.status, 204 | 304) {
        Vec::new()
    } else {
        read_to_end(&mut response.body, MAX_ERROR_BODY)
            .await
            .unwrap_or_default()
    };
    let error = RegistryError::from_status(
        registry,
        response.status,
        object,
        &parse_error_body(&body),
        rate_limit,
    );
    match error {
        RegistryError::Status {
            registry,
            status,
            object,
            message,
        } if transient => RegistryError::Status {
            registry,
            status,
            object,
            message: retried(&message),
        },
        e => e,
    }
}

/// A registry's words with the retries that came before them.
fn retried(message: &str) -> String {
    let note = format!("still failing after {MAX_RETRIES} retries");
    if message.is_empty() {
        note
    } else {
        format!("{message}; {note}")
    }
}
