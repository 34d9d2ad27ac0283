//! The page's scripts run by a nonce, fresh for every `index.html`
//! response, instead of by origin.
//!
//! Issue 10: `script-src 'self'` trusted every `/proxy/…` response as a
//! script, so a registry's blob could run on the page's origin. The page's
//! policy is now `script-src 'nonce-…' 'strict-dynamic' 'wasm-unsafe-eval'`
//! ([`super::headers::page_csp`]): only elements carrying the nonce run,
//! and what they load themselves (the wasm-bindgen glue they import, the
//! layer workers' imports) inherits their trust through `'strict-dynamic'`.
//! A `<script src="/proxy/…">` written into any document of this origin has
//! no nonce and is refused.
//!
//! Trunk writes the wasm bootstrap as an inline module script plus a
//! `<link rel="modulepreload">` of the glue:
//!
//! ```html
//! <script type="module">
//! import init, * as bindings from '/layerlens-8c66b232318d40ef.js';
//! const wasm = await init({ module_or_path: '/layerlens-8c66b232318d40ef_bg.wasm' });
//! …
//! </script>
//! <link rel="modulepreload" href="/layerlens-8c66b232318d40ef.js" …>
//! ```
//!
//! [`PageTemplate::new`] finds, once per build, where a `nonce="…"`
//! attribute goes: right after the tag name of every `<script>` and of
//! every `<link>` that fetches a script (`modulepreload`, or `preload` with
//! `as=script`). Placed first, it wins over any `nonce` the file already
//! had (HTML keeps the first of duplicate attributes). Script bodies are
//! skipped, so a `"<script"` inside one is left alone. [`PageTemplate::render`]
//! fills in a [`Nonce`] per response.

use ring::rand::{SecureRandom, SystemRandom};

use crate::oci::base64::base64_encode;

/// Random bytes in a nonce: 144 bits, 24 base64 characters, no padding.
const NONCE_BYTES: usize = 18;

/// A CSP nonce: base64 of [`NONCE_BYTES`] bytes from the operating
/// system's CSPRNG. A predictable nonce would be no protection at all, so
/// there is no fallback source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nonce(String);

/// The operating system's random source failed; the page is not served
/// rather than served with a guessable nonce.
#[derive(Debug, thiserror::Error)]
#[error("the system's random number generator failed")]
pub struct NoRandomness;

impl Nonce {
    /// A fresh nonce.
    pub fn generate() -> Result<Nonce, NoRandomness> {
        let mut bytes = [0u8; NONCE_BYTES];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| NoRandomness)?;
        Ok(Nonce(base64_encode(&bytes)))
    }

    /// The base64 text, as it appears in the policy and the attributes
    /// (only `A–Z a–z 0–9 + /`: safe in both without escaping).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `index.html` cut where the nonce attributes go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageTemplate {
    /// The text between insertion points (one more than the points).
    pieces: Vec<String>,
}

impl PageTemplate {
    /// Finds the insertion points in `html`. Tag and attribute names are
    /// matched case-insensitively; a `<script>` without a closing tag ends
    /// the scan (the rest is kept as is and gets no nonce).
    pub fn new(html: &str) -> PageTemplate {
        let lower = html.to_ascii_lowercase();
        let mut pieces = Vec::new();
        let mut last = 0;
        let mut pos = 0;
        while let Some(found) = lower[pos..].find('<') {
            let open = pos + found;
            let Some((name, after_name)) = tag_name(&lower, open) else {
                pos = open + 1;
                continue;
            };
            let Some(gt) = lower[after_name..].find('>') else {
                break;
            };
            let tag_end = after_name + gt + 1;
            let attributes = &html[after_name..tag_end - 1];
            let wants_nonce = match name {
                "script" => true,
                "link" => fetches_script(attributes),
                _ => false,
            };
            if wants_nonce {
                pieces.push(html[last..after_name].to_owned());
                last = after_name;
            }
            pos = tag_end;
            if name == "script" {
                match lower[tag_end..].find("</script") {
                    Some(close) => pos = tag_end + close + "</script".len(),
                    None => break,
                }
            }
        }
        pieces.push(html[last..].to_owned());
        PageTemplate { pieces }
    }

    /// The page with `nonce` on every script element.
    pub fn render(&self, nonce: &Nonce) -> String {
        let attribute = format!(" nonce=\"{}\"", nonce.as_str());
        self.pieces.join(&attribute)
    }

    /// How many elements get the nonce.
    pub fn nonced_elements(&self) -> usize {
        self.pieces.len() - 1
    }
}

/// `script` or `link` when an opening tag of that name starts at `open`
/// (`<scripts>` and `<link-x>` are other elements), and where its
/// attributes start.
fn tag_name(lower: &str, open: usize) -> Option<(&'static str, usize)> {
    ["script", "link"].into_iter().find_map(|name| {
        let after = open + 1 + name.len();
        let matches = lower[open + 1..].starts_with(name)
            && matches!(
                lower.as_bytes().get(after),
                Some(b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'>' | b'/')
            );
        matches.then_some((name, after))
    })
}

/// Whether a `<link>` fetches a script, so `script-src` applies to it:
/// `rel` has `modulepreload`, or `preload` with `as=script`.
fn fetches_script(attributes: &str) -> bool {
    let rel = attribute(attributes, "rel")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let mut rels = rel.split_ascii_whitespace();
    let as_script = attribute(attributes, "as").is_some_and(|a| a.eq_ignore_ascii_case("script"));
    rels.any(|r| r == "modulepreload" || (r == "preload" && as_script))
}

/// The value of attribute `name` in a tag's attribute text, if present
/// (`Some("")` for a bare attribute).
fn attribute<'a>(attributes: &'a str, name: &str) -> Option<&'a str> {
    let mut rest = attributes;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            return None;
        }
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '=')
            .unwrap_or(rest.len());
        let key = &rest[..end];
        rest = rest[end..].trim_start();
        let value = if let Some(v) = rest.strip_prefix('=') {
            let v = v.trim_start();
            let (value, tail) = match v.chars().next() {
                Some(q @ ('"' | '\'')) => match v[1..].find(q) {
                    Some(i) => (&v[1..1 + i], &v[i + 2..]),
                    None => (&v[1..], ""),
                },
                _ => {
                    let i = v.find(char::is_whitespace).unwrap_or(v.len());
                    (&v[..i], &v[i..])
                }
            };
            rest = tail;
            value
        } else {
            ""
        };
        if key.eq_ignore_ascii_case(name) {
            return Some(value);
        }
        if end == 0 {
            // A stray '=' or quote: skip one character to make progress.
            let mut chars = rest.chars();
            chars.next();
            rest = chars.as_str();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_read_with_quotes_and_bare_names() {
        let a = r#" type="module" defer data-x='a b' nomodule"#;
        assert_eq!(attribute(a, "type"), Some("module"));
        assert_eq!(attribute(a, "defer"), Some(""));
        assert_eq!(attribute(a, "data-x"), Some("a b"));
        assert_eq!(attribute(a, "NOMODULE"), Some(""));
        assert_eq!(attribute(a, "src"), None);
        assert_eq!(attribute(" src=/x.js", "src"), Some("/x.js"));
    }

    fn nonce(s: &str) -> Nonce {
        Nonce(s.to_owned())
    }

    #[test]
    fn every_script_and_script_preload_gets_the_nonce() {
        let html = "<p>a</p><SCRIPT>var a = '<script>';</SCRIPT>\
                    <script type=module>import './m.js';</script>\
                    <script src=\"/x.js\"></script>\
                    <script type=\"application/json\">{}</script>\
                    <link rel=\"modulepreload\" href=\"/g.js\">\
                    <link rel=preload as=script href=/h.js>\
                    <link rel=preload as=fetch href=/w.wasm>\
                    <link rel=stylesheet href=/s.css><scripts>x</scripts><linked>";
        let page = PageTemplate::new(html);
        assert_eq!(page.nonced_elements(), 6);
        assert_eq!(
            page.render(&nonce("N")),
            "<p>a</p><SCRIPT nonce=\"N\">var a = '<script>';</SCRIPT>\
             <script nonce=\"N\" type=module>import './m.js';</script>\
             <script nonce=\"N\" src=\"/x.js\"></script>\
             <script nonce=\"N\" type=\"application/json\">{}</script>\
             <link nonce=\"N\" rel=\"modulepreload\" href=\"/g.js\">\
             <link nonce=\"N\" rel=preload as=script href=/h.js>\
             <link rel=preload as=fetch href=/w.wasm>\
             <link rel=stylesheet href=/s.css><scripts>x</scripts><linked>"
        );
    }

    #[test]
    fn a_page_without_scripts_is_unchanged() {
        let html = "<!doctype html><title>t</title><p>x</p>";
        let page = PageTemplate::new(html);
        assert_eq!(page.nonced_elements(), 0);
        assert_eq!(page.render(&nonce("N")), html);
    }

    #[test]
    fn an_unclosed_script_ends_the_scan() {
        let page = PageTemplate::new("<script>a<script>b");
        assert_eq!(page.render(&nonce("N")), "<script nonce=\"N\">a<script>b");
    }

    #[test]
    fn nonces_are_fresh_base64() {
        let a = Nonce::generate().unwrap();
        let b = Nonce::generate().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 24);
        assert!(a
            .as_str()
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/'));
    }
}
