//! How the page reaches registries: every registry URL is rewritten onto the
//! proxy (`https://ghcr.io/v2/x` → `{base}ghcr.io/v2/x`), following the
//! proxy contract in the README. Pure string work, so it is tested natively;
//! the browser `Fetch` in `web/` calls it for every request.

/// Why a proxy base or a URL cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProxyUrlError {
    /// The proxy base is not a path or an http(s) URL.
    #[error("the proxy URL must be a path like /proxy/ or an http(s) URL like https://proxy.example/proxy/ (got {0:?})")]
    BadBase(String),
    /// A request URL the page cannot send through the proxy.
    #[error("cannot send {0:?} through the proxy (only http and https URLs)")]
    BadUrl(String),
}

/// Checks and normalises a proxy base: a same-origin path (`/proxy/`) or an
/// absolute `http(s)://host[:port]/path/`; a trailing `/` is added.
pub fn normalize_base(input: &str) -> Result<String, ProxyUrlError> {
    let s = input.trim();
    let bad = || ProxyUrlError::BadBase(input.chars().take(200).collect());
    if s.is_empty()
        || s.len() > 2048
        || s.chars()
            .any(|c| c.is_control() || c.is_whitespace() || matches!(c, '?' | '#' | '\\'))
    {
        return Err(bad());
    }
    let ok = if let Some(rest) = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
    {
        let host = rest.split('/').next().unwrap_or("");
        !host.is_empty() && !host.contains('@')
    } else {
        s.starts_with('/') && !s.starts_with("//")
    };
    if !ok {
        return Err(bad());
    }
    let mut out = s.to_owned();
    if !out.ends_with('/') {
        out.push('/');
    }
    Ok(out)
}

/// The origin of an absolute base (`https://p.example`), `None` for a path.
fn origin(base: &str) -> Option<&str> {
    let scheme_end = base.find("://")? + 3;
    let end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    Some(&base[..end])
}

/// The URL to fetch for a registry URL. Path-only URLs (token realms the
/// proxy already rewrote to `/proxy/host/path`) are resolved against the
/// proxy's origin when the base is absolute, and used as they are otherwise.
pub fn proxy_url(base: &str, url: &str) -> Result<String, ProxyUrlError> {
    if url.starts_with('/') && !url.starts_with("//") {
        return Ok(match origin(base) {
            Some(o) => format!("{o}{url}"),
            None => url.to_owned(),
        });
    }
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .filter(|r| !r.is_empty() && !r.starts_with('/'))
        .ok_or_else(|| ProxyUrlError::BadUrl(url.chars().take(200).collect()))?;
    Ok(format!("{base}{rest}"))
}
