//! Inline scripts out of `index.html`, so the page runs under a CSP with no
//! `'unsafe-inline'`.
//!
//! Trunk writes the wasm bootstrap as an inline module script:
//!
//! ```html
//! <script type="module">
//! import init, * as bindings from '/layerlens-8c66b232318d40ef.js';
//! const wasm = await init({ module_or_path: '/layerlens-8c66b232318d40ef_bg.wasm' });
//! …
//! </script>
//! ```
//!
//! which `script-src 'self'` blocks. [`externalise`] moves each executable
//! inline script (classic or module) into a file named after its content,
//! `boot-<first 16 hex of its SHA-256>.js`, and replaces the element with
//! one that loads it (`<script type="module" src="/boot-….js"></script>`).
//! Both kinds keep their semantics: a module stays deferred, a classic
//! script without `async`/`defer` still blocks parsing at the same place.
//! Data blocks (`type="application/json"` and other non-script types) are
//! left alone: they never run.

use crate::oci::Digest;

/// A script moved out of the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootScript {
    /// `boot-<16 hex>.js`: the name carries the content hash, so it is
    /// served immutable.
    pub name: String,
    /// The script's source, exactly as it was inline.
    pub source: String,
}

/// The page with its inline scripts replaced, and the scripts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Externalised {
    /// The new `index.html`.
    pub html: String,
    /// The scripts it now loads, in page order.
    pub scripts: Vec<BootScript>,
}

/// The name of a boot script for `source`.
pub fn boot_name(source: &str) -> String {
    let digest = Digest::sha256(source.as_bytes());
    format!("boot-{}.js", &digest.hex()[..16])
}

/// Moves every executable inline `<script>` of `html` into a [`BootScript`].
/// Tag and attribute names are matched case-insensitively; a script
/// element without a closing tag ends the scan (the rest is kept as is).
pub fn externalise(html: &str) -> Externalised {
    let lower = html.to_ascii_lowercase();
    let mut out = String::with_capacity(html.len());
    let mut scripts = Vec::new();
    let mut pos = 0;
    while let Some(found) = lower[pos..].find("<script") {
        let open = pos + found;
        let after_name = open + "<script".len();
        // `<scripts>` or `<script-x>` are other elements.
        let boundary = lower.as_bytes().get(after_name).copied();
        if !matches!(
            boundary,
            Some(b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'>' | b'/')
        ) {
            out.push_str(&html[pos..after_name]);
            pos = after_name;
            continue;
        }
        let Some(gt) = lower[after_name..].find('>') else {
            break;
        };
        let tag_end = after_name + gt + 1;
        let Some(close) = lower[tag_end..].find("</script") else {
            break;
        };
        let body_end = tag_end + close;
        let Some(close_gt) = lower[body_end..].find('>') else {
            break;
        };
        let element_end = body_end + close_gt + 1;
        let attributes = &html[after_name..tag_end - 1];
        let source = &html[tag_end..body_end];
        if has_attribute(attributes, "src")
            || !is_executable(attributes)
            || source.trim().is_empty()
        {
            out.push_str(&html[pos..element_end]);
            pos = element_end;
            continue;
        }
        let name = boot_name(source);
        out.push_str(&html[pos..open]);
        let attributes = attributes.trim_end().trim_end_matches('/');
        out.push_str(&format!("<script{attributes} src=\"/{name}\"></script>"));
        scripts.push(BootScript {
            name,
            source: source.to_owned(),
        });
        pos = element_end;
    }
    out.push_str(&html[pos..]);
    Externalised { html: out, scripts }
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

fn has_attribute(attributes: &str, name: &str) -> bool {
    attribute(attributes, name).is_some()
}

/// Whether a script with these attributes runs: no `type`, an empty one, a
/// JavaScript MIME type, or `module` (HTML §4.12.1.1, "the script's type").
fn is_executable(attributes: &str) -> bool {
    match attribute(attributes, "type") {
        None => true,
        Some(t) => {
            let t = t.trim().to_ascii_lowercase();
            t.is_empty()
                || t == "module"
                || t == "text/javascript"
                || t == "application/javascript"
                || t == "text/ecmascript"
                || t == "application/ecmascript"
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

    #[test]
    fn data_blocks_and_external_scripts_stay() {
        let html = "<script type=\"application/json\">{\"a\":1}</script>\
                    <script src=\"/x.js\"></script><scripts>x</scripts>";
        let out = externalise(html);
        assert_eq!(out.html, html);
        assert!(out.scripts.is_empty());
    }

    #[test]
    fn classic_and_module_scripts_move_out() {
        let html =
            "<p>a</p><SCRIPT>var a = 1;</SCRIPT><script type=module>import './m.js';</script>";
        let out = externalise(html);
        let a = boot_name("var a = 1;");
        let m = boot_name("import './m.js';");
        assert_eq!(
            out.html,
            format!(
                "<p>a</p><script src=\"/{a}\"></script><script type=module src=\"/{m}\"></script>"
            )
        );
        assert_eq!(out.scripts.len(), 2);
        assert_eq!(out.scripts[1].source, "import './m.js';");
        assert!(a.starts_with("boot-") && a.len() == "boot-".len() + 16 + 3);
    }
}
