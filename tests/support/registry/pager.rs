//! A loopback front for a registry that adds tag-list pagination.
//!
//! Distribution 2.8 ignores `n` and `last` on `GET /v2/<name>/tags/list` and always returns
//! every tag (unsorted); pagination arrived in distribution 3. Tests of a client's `Link`
//! handling put this front between the client and the registry: every `GET`/`HEAD` is
//! forwarded unchanged (headers both ways, including `Authorization` and the challenges),
//! except a tag list with `n`, which is fetched whole and cut into lexically ordered pages
//! with `Link: </v2/<name>/tags/list?n=N&last=T>; rel="next"` as distribution 3 and the OCI
//! distribution spec ("Listing Tags") describe. Other methods get 405: pushes go straight to
//! the registry. Bodies are buffered, so keep it to small test images.

use std::time::Duration;

use super::response::HarnessError;
use crate::http::{parse_query, Reply, Request, Upstream};

/// Hop-by-hop and framing headers that are not forwarded in either direction.
const NOT_FORWARDED: &[&str] = &[
    "host",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "te",
    "upgrade",
    "proxy-connection",
];

/// A running pagination front; stops on drop.
pub struct TagPager {
    server: Upstream,
}

impl TagPager {
    /// Starts a front for the registry at `upstream_base` (`http://127.0.0.1:PORT`).
    pub fn start(upstream_base: &str) -> TagPager {
        TagPager::front(upstream_base, false)
    }

    /// The same front that also drops every `Range` header, as registries
    /// without range support do: a blob is always answered whole (200).
    pub fn start_ignoring_range(upstream_base: &str) -> TagPager {
        TagPager::front(upstream_base, true)
    }

    fn front(upstream_base: &str, ignore_range: bool) -> TagPager {
        assert!(
            upstream_base.starts_with("http://127.0.0.1:"),
            "the pager only forwards to loopback, not {upstream_base}"
        );
        let upstream = upstream_base.trim_end_matches('/').to_string();
        let config = ureq::Agent::config_builder()
            .proxy(None)
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_connect(Some(Duration::from_secs(5)))
            .timeout_per_read(Some(Duration::from_secs(30)))
            .build();
        let agent = ureq::Agent::new_with_config(config);
        let server = Upstream::start(move |request: &Request| {
            forward(&agent, &upstream, request, ignore_range)
                .unwrap_or_else(|e| Reply::json(502, &serde_json::json!({"error": e.to_string()})))
        });
        TagPager { server }
    }

    /// `http://127.0.0.1:PORT` of the front.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    /// `127.0.0.1:PORT` of the front, the registry part of a reference that goes through it.
    pub fn host_port(&self) -> String {
        self.server.addr().to_string()
    }
}

fn forward(
    agent: &ureq::Agent,
    upstream: &str,
    request: &Request,
    ignore_range: bool,
) -> Result<Reply, HarnessError> {
    if request.method != "GET" && request.method != "HEAD" {
        return Ok(Reply::json(
            405,
            &serde_json::json!({"error": "the tag pager forwards GET and HEAD only"}),
        ));
    }
    let page = tag_page_request(request);
    let target = match &page {
        Some((name, _, _)) => format!("/v2/{name}/tags/list"),
        None => request.target.clone(),
    };
    let url = format!("{upstream}{target}");
    let mut builder = ureq::http::Request::builder()
        .method(request.method.as_str())
        .uri(&url);
    for (name, value) in &request.headers {
        let name_lower = name.to_ascii_lowercase();
        let dropped = ignore_range && name_lower == "range";
        if !dropped && !NOT_FORWARDED.contains(&name_lower.as_str()) {
            builder = builder.header(name.as_str(), value.as_str());
        }
    }
    let upstream_request = builder
        .body(())
        .map_err(|e| HarnessError(format!("{url}: {e}")))?;
    let mut upstream_response = agent
        .run(upstream_request)
        .map_err(|e| HarnessError(format!("{url}: {e}")))?;
    let status = upstream_response.status().as_u16();
    let mut response = Reply::new(status, Vec::new());
    let mut length = None;
    for (name, value) in upstream_response.headers() {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        if name.as_str() == "content-length" {
            length = value.parse::<u64>().ok();
        }
        if !NOT_FORWARDED.contains(&name.as_str()) {
            response.headers.push((name.as_str().to_string(), value));
        }
    }
    if request.method == "HEAD" {
        // No body, but the length a GET would have.
        return Ok(response.header("Content-Length", &length.unwrap_or(0).to_string()));
    }
    let body = upstream_response
        .body_mut()
        .with_config()
        .limit(256 * 1024 * 1024)
        .read_to_vec()
        .map_err(|e| HarnessError(format!("{url}: reading the body: {e}")))?;
    match page {
        Some((name, n, last)) if status == 200 => paginate(response, &body, &name, n, last),
        _ => Ok(response.body(body)),
    }
}

/// `(name, n, last)` for a tag list that asks for a page.
fn tag_page_request(request: &Request) -> Option<(String, usize, Option<String>)> {
    let name = request
        .path
        .strip_prefix("/v2/")?
        .strip_suffix("/tags/list")?;
    let params = parse_query(&request.query);
    let n = params
        .iter()
        .find(|(k, _)| k == "n")?
        .1
        .parse::<usize>()
        .ok()?;
    let last = params
        .iter()
        .find(|(k, _)| k == "last")
        .map(|(_, v)| v.clone());
    Some((name.to_string(), n, last))
}

fn paginate(
    mut response: Reply,
    body: &[u8],
    name: &str,
    n: usize,
    last: Option<String>,
) -> Result<Reply, HarnessError> {
    let list: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| HarnessError(format!("tag list is not JSON: {e}")))?;
    let mut tags: Vec<String> = list["tags"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    tags.sort();
    let after: Vec<String> = tags
        .into_iter()
        .filter(|t| last.as_ref().is_none_or(|l| t > l))
        .collect();
    let page: Vec<String> = after.iter().take(n).cloned().collect();
    if after.len() > page.len() {
        if let Some(last_of_page) = page.last() {
            response.headers.push((
                "Link".to_string(),
                format!("</v2/{name}/tags/list?n={n}&last={last_of_page}>; rel=\"next\""),
            ));
        }
    }
    let json = serde_json::json!({"name": list["name"], "tags": page});
    Ok(response.body(json.to_string()))
}
