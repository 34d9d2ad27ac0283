//! `Link` headers (RFC 8288) as the distribution spec uses them for
//! pagination of tag lists and the catalog: `</v2/x/tags/list?n=100&last=b>; rel="next"`.

/// Finds the target of the `rel="next"` link in a `Link` header value, if any.
///
/// The target is returned as written (usually a path and query relative to
/// the registry); several comma-separated links and parameters in any order
/// are handled, and a malformed header yields `None` (pagination just stops).
pub fn next_link(header: &str) -> Option<String> {
    let mut rest = header;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let close = after.find('>')?;
        let target = &after[..close];
        let params_and_more = &after[close + 1..];
        // Parameters run until the next link's '<' (rel values are plain tokens).
        let end = params_and_more.find('<').unwrap_or(params_and_more.len());
        let params = &params_and_more[..end];
        let is_next = params.split(';').any(|p| {
            let Some((k, v)) = p.split_once('=') else {
                return false;
            };
            k.trim().eq_ignore_ascii_case("rel")
                && v.trim()
                    .trim_matches('"')
                    .split_ascii_whitespace()
                    .any(|r| r.eq_ignore_ascii_case("next"))
        });
        if is_next {
            return Some(target.to_owned());
        }
        rest = &params_and_more[end..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distribution_style_next_link() {
        assert_eq!(
            next_link(r#"</v2/a/b/tags/list?last=t2&n=2>; rel="next""#).as_deref(),
            Some("/v2/a/b/tags/list?last=t2&n=2")
        );
    }

    #[test]
    fn picks_next_among_several_links() {
        let h = r#"<https://x/prev>; rel="prev", <https://x/next?a=1,2>; title="n, m"; rel=next"#;
        assert_eq!(next_link(h).as_deref(), Some("https://x/next?a=1,2"));
    }

    #[test]
    fn no_next_or_garbage_is_none() {
        assert_eq!(next_link(r#"</v2/x>; rel="prev""#), None);
        assert_eq!(next_link("garbage"), None);
        assert_eq!(next_link("<unclosed; rel=next"), None);
        assert_eq!(next_link(""), None);
    }
}
