//! [`NativeFetch`]: the registry client's network door on the command line.
//!
//! It uses the outbound client ([`Upstream`], shared with the proxy: resolve, connect,
//! rustls with the webpki roots, HTTP/1.1, streamed bodies) and follows
//! redirects itself, at most five, never carrying `Authorization` to another
//! host. Unlike the proxy it connects wherever the user points it: the user
//! is the operator here, so no address is forbidden.

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::header::{HeaderName, HeaderValue, AUTHORIZATION, LOCATION};
use hyper::HeaderMap;

use super::http::{Timeouts, Upstream, UpstreamUrl};
use crate::native::http::client::UpstreamBody;
use crate::registry::{Body, Fetch, FetchError, Headers, Method, Request, Response};

/// Redirect hops followed at most.
const MAX_REDIRECTS: usize = 5;

/// The native [`Fetch`].
#[derive(Clone)]
pub struct NativeFetch {
    upstream: Upstream,
}

impl NativeFetch {
    /// A client with the default timeouts and the webpki roots. A body that
    /// stalls is cut after [`Timeouts::default`]'s 30 s of silence, or when
    /// it moves less than 16 KiB in 30 s of waiting on it.
    pub fn new() -> Result<NativeFetch, FetchError> {
        NativeFetch::with_timeouts(Timeouts::default())
    }

    /// A client with other timeouts (a test's stalled registry need not
    /// take 30 s).
    pub fn with_timeouts(timeouts: Timeouts) -> Result<NativeFetch, FetchError> {
        let ua = concat!("layerlens/", env!("CARGO_PKG_VERSION"));
        let upstream = Upstream::new(timeouts, ua)
            .map_err(|e| FetchError::new(format!("TLS setup failed: {e}")))?;
        Ok(NativeFetch { upstream })
    }
}

/// A streamed response body.
pub struct NativeBody {
    inner: Option<UpstreamBody>,
}

impl Body for NativeBody {
    async fn chunk(&mut self) -> Result<Option<Vec<u8>>, FetchError> {
        let Some(body) = self.inner.as_mut() else {
            return Ok(None);
        };
        loop {
            match body.frame().await {
                None => {
                    self.inner = None;
                    return Ok(None);
                }
                Some(Err(e)) => {
                    self.inner = None;
                    return Err(FetchError::new(format!("reading the response failed: {e}")));
                }
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        let data: Bytes = data;
                        if !data.is_empty() {
                            return Ok(Some(data.to_vec()));
                        }
                    }
                }
            }
        }
    }
}

fn header_map(headers: &Headers) -> Result<HeaderMap, FetchError> {
    let mut map = HeaderMap::new();
    for (name, value) in headers.iter() {
        let n = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| FetchError::new(format!("invalid header name {name:?}")))?;
        // Never echo a credential into an error message.
        let v = HeaderValue::from_str(value)
            .map_err(|_| FetchError::new(format!("invalid value for header {name}")))?;
        map.append(n, v);
    }
    Ok(map)
}

impl Fetch for NativeFetch {
    type Body = NativeBody;

    async fn sleep(&self, ms: u64) {
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }

    async fn fetch(&self, request: Request) -> Result<Response<NativeBody>, FetchError> {
        let method = match request.method {
            Method::Get => hyper::Method::GET,
            Method::Head => hyper::Method::HEAD,
        };
        let mut url = UpstreamUrl::parse(&request.url)
            .map_err(|e| FetchError::new(format!("invalid URL {}: {e}", request.url)))?;
        let mut headers = header_map(&request.headers)?;
        let mut hops = vec![url.without_query()];
        for _ in 0..=MAX_REDIRECTS {
            let response = self
                .upstream
                .send(&method, &url, &headers, &|_| Ok(()))
                .await
                .map_err(|e| FetchError::new(e.to_string()))?;
            let status = response.status().as_u16();
            if matches!(status, 301 | 302 | 303 | 307 | 308) {
                if let Some(location) = response
                    .headers()
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                {
                    let next = url
                        .join(location)
                        .map_err(|e| FetchError::new(format!("bad redirect from {url}: {e}")))?;
                    if !next.same_origin(&url) {
                        headers.remove(AUTHORIZATION);
                    }
                    let seen = hops.contains(&next.without_query());
                    hops.push(next.without_query());
                    if seen {
                        return Err(FetchError::new(format!(
                            "redirect loop: {}",
                            hops.join(" -> ")
                        )));
                    }
                    url = next;
                    continue;
                }
            }
            let mut out = Headers::new();
            for (name, value) in response.headers() {
                if let Ok(v) = value.to_str() {
                    out.push(name.as_str(), v);
                }
            }
            return Ok(Response {
                status,
                headers: out,
                body: NativeBody {
                    inner: Some(response.into_body()),
                },
            });
        }
        Err(FetchError::new(format!(
            "more than {MAX_REDIRECTS} redirects fetching {}: {}",
            request.url.split('?').next().unwrap_or_default(),
            hops.join(" -> ")
        )))
    }
}
