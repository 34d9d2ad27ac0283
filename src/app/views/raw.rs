//! The raw documents: the index, the manifest and the config exactly as
//! verified, pretty-printed, with every digest in them marked so the page
//! can make it a link to that object.
//!
//! The printer re-indents the verified bytes token by token instead of
//! parsing and re-serialising them, so keys keep the order the document has
//! and strings keep their escapes: what is shown is what was hashed, only
//! laid out. Bytes that are not JSON (they were verified by digest, not by
//! grammar, for an artifact's config) are shown as text lines.

use crate::oci::{Descriptor, Digest, Document};

use super::super::state::State;

/// The most lines drawn for one document; the rest is summarised.
pub const MAX_RAW_LINES: usize = 4000;
/// The longest single string drawn; longer ones are cut with `…`.
pub const MAX_RAW_STRING: usize = 2000;

/// What a digest in a raw document opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DigestTarget {
    /// Another document shown in this section (`index`, `manifest`,
    /// `config`).
    Document(&'static str),
    /// A layer of the image (manifest order).
    Layer(usize),
    /// The platform of the index with this `os/arch[/variant]`.
    Platform(String),
    /// An object to open as an image of its own (`name@digest`).
    Image(String),
}

impl DigestTarget {
    /// A few words for the link's title.
    pub fn describe(&self) -> String {
        match self {
            DigestTarget::Document(d) => format!("Show the {d}"),
            DigestTarget::Layer(i) => format!("Select layer {i}"),
            DigestTarget::Platform(p) => format!("Switch to platform {p}"),
            DigestTarget::Image(r) => format!("Open {r}"),
        }
    }
}

/// A piece of a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawSpan {
    /// Punctuation, keys, values: plain text.
    Text(String),
    /// A JSON string holding a digest the page can open (with its quotes
    /// outside the span).
    Digest {
        /// The digest as written.
        digest: String,
        /// What a click opens.
        target: DigestTarget,
    },
}

/// One document, ready to draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawDocView {
    /// `index`, `manifest` or `config` (the element id suffix).
    pub id: &'static str,
    /// Its heading.
    pub title: String,
    /// The digest it was verified against.
    pub digest: String,
    /// Its size in bytes.
    pub size: usize,
    /// The pretty-printed lines.
    pub lines: Vec<Vec<RawSpan>>,
    /// Lines left out after [`MAX_RAW_LINES`].
    pub omitted_lines: usize,
}

/// A cheap key for the raw section: the digests of the documents shown.
/// The shell recomputes [`raw_documents`] only when it changes.
pub fn raw_key(state: &State) -> Vec<Digest> {
    let Some(img) = state.current.as_ref().and_then(|c| c.image.as_ref()) else {
        return Vec::new();
    };
    let mut key = Vec::new();
    if let Some(i) = &img.index {
        key.push(i.verified.digest().clone());
    }
    key.push(img.manifest.verified.digest().clone());
    if let Some((c, _)) = &img.config {
        key.push(c.digest().clone());
    }
    key
}

/// The raw documents of the current image, in the order index, manifest,
/// config.
pub fn raw_documents(state: &State) -> Vec<RawDocView> {
    let Some(img) = state.current.as_ref().and_then(|c| c.image.as_ref()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let doc = |id: &'static str, title: String, bytes: &[u8], digest: &Digest| {
        let (lines, omitted_lines) = pretty(bytes, &|d| digest_target(state, d));
        RawDocView {
            id,
            title,
            digest: digest.to_string(),
            size: bytes.len(),
            lines,
            omitted_lines,
        }
    };
    if let Some(i) = &img.index {
        out.push(doc(
            "index",
            "Index".to_owned(),
            i.verified.bytes(),
            i.verified.digest(),
        ));
    }
    out.push(doc(
        "manifest",
        "Manifest".to_owned(),
        img.manifest.verified.bytes(),
        img.manifest.verified.digest(),
    ));
    if let Some((c, _)) = &img.config {
        out.push(doc("config", "Config".to_owned(), c.bytes(), c.digest()));
    }
    out
}

/// What the digest `text` opens in the current image, if anything: a layer
/// (by blob digest or diff_id), the config, a platform of the index, or
/// another object of the repository (an attestation, a subject).
pub fn digest_target(state: &State, text: &str) -> Option<DigestTarget> {
    let digest: Digest = text.parse().ok()?;
    let cur = state.current.as_ref()?;
    let img = cur.image.as_ref()?;
    if let Some(i) = &img.index {
        if i.verified.digest() == &digest {
            return Some(DigestTarget::Document("index"));
        }
    }
    if img.manifest.verified.digest() == &digest {
        return Some(DigestTarget::Document("manifest"));
    }
    if let Some((c, config)) = &img.config {
        if c.digest() == &digest {
            return Some(DigestTarget::Document("config"));
        }
        if let Some(i) = config.diff_ids().iter().position(|d| d == &digest) {
            return Some(DigestTarget::Layer(i));
        }
    }
    if let Some(m) = img.image_manifest() {
        if let Some(i) = m.layers().iter().position(|l| l.digest() == &digest) {
            return Some(DigestTarget::Layer(i));
        }
    }
    if let Some(p) = img
        .platforms
        .iter()
        .find(|p| p.descriptor.digest() == &digest)
    {
        return Some(DigestTarget::Platform(p.label.clone()));
    }
    let known = |d: &Descriptor| d.digest() == &digest;
    let elsewhere = img.other_entries.iter().any(known)
        || img
            .image_manifest()
            .and_then(|m| m.subject())
            .is_some_and(known)
        || match img.index.as_ref().map(|i| &i.document) {
            Some(Document::Index(ix)) => ix.manifests().iter().any(known),
            _ => false,
        };
    elsewhere
        .then(|| DigestTarget::Image(img.reference.name_only().with_digest(digest).to_string()))
}

/// Pretty-prints JSON `bytes` two spaces per level, marking strings that
/// `target` recognises as digests. Returns the lines (at most
/// [`MAX_RAW_LINES`]) and how many more there were. Bytes that do not
/// tokenise as JSON are returned as their text lines.
pub fn pretty(
    bytes: &[u8],
    target: &dyn Fn(&str) -> Option<DigestTarget>,
) -> (Vec<Vec<RawSpan>>, usize) {
    match tokens(bytes) {
        Some(toks) => layout(&toks, target),
        None => {
            let text = String::from_utf8_lossy(bytes);
            let all: Vec<&str> = text.lines().collect();
            let shown = all
                .iter()
                .take(MAX_RAW_LINES)
                .map(|l| vec![RawSpan::Text(cut(l))])
                .collect();
            (shown, all.len().saturating_sub(MAX_RAW_LINES))
        }
    }
}

#[derive(Debug, PartialEq)]
enum Tok<'a> {
    Open(u8),
    Close(u8),
    Colon,
    Comma,
    /// A string with its quotes, as written.
    Str(&'a str),
    /// A number, `true`, `false` or `null`, as written.
    Atom(&'a str),
}

/// Splits JSON text into tokens (structure only: nesting is checked,
/// grammar between tokens is not — the document was verified, and a wrong
/// layout is harmless). `None` when the bytes are not JSON-like.
fn tokens(bytes: &[u8]) -> Option<Vec<Tok<'_>>> {
    let text = std::str::from_utf8(bytes).ok()?;
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut depth: Vec<u8> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            c @ (b'{' | b'[') => {
                depth.push(c);
                out.push(Tok::Open(c));
                i += 1;
            }
            c @ (b'}' | b']') => {
                let open = depth.pop()?;
                if (open == b'{') != (c == b'}') {
                    return None;
                }
                out.push(Tok::Close(c));
                i += 1;
            }
            b':' => {
                out.push(Tok::Colon);
                i += 1;
            }
            b',' => {
                out.push(Tok::Comma);
                i += 1;
            }
            b'"' => {
                let start = i;
                i += 1;
                loop {
                    match b.get(i)? {
                        b'\\' => i += 2,
                        b'"' => break,
                        _ => i += 1,
                    }
                }
                i += 1;
                out.push(Tok::Str(text.get(start..i)?));
            }
            c if c == b'-' || c.is_ascii_alphanumeric() => {
                let start = i;
                while i < b.len()
                    && (b[i] == b'-'
                        || b[i] == b'+'
                        || b[i] == b'.'
                        || b[i].is_ascii_alphanumeric())
                {
                    i += 1;
                }
                let atom = text.get(start..i)?;
                let number = atom.starts_with(|c: char| c == '-' || c.is_ascii_digit());
                if !number && !matches!(atom, "true" | "false" | "null") {
                    return None;
                }
                out.push(Tok::Atom(atom));
            }
            _ => return None,
        }
    }
    (depth.is_empty() && matches!(out.first(), Some(Tok::Open(_)))).then_some(out)
}

fn cut(s: &str) -> String {
    if s.len() <= MAX_RAW_STRING {
        return s.to_owned();
    }
    format!("{}…", crate::app::text::cut(s, MAX_RAW_STRING))
}

struct Lines<'t> {
    lines: Vec<Vec<RawSpan>>,
    current: Vec<RawSpan>,
    total: usize,
    target: &'t dyn Fn(&str) -> Option<DigestTarget>,
}

impl Lines<'_> {
    fn text(&mut self, s: &str) {
        if let Some(RawSpan::Text(t)) = self.current.last_mut() {
            t.push_str(s);
        } else {
            self.current.push(RawSpan::Text(s.to_owned()));
        }
    }

    fn string(&mut self, quoted: &str) {
        let inner = &quoted[1..quoted.len() - 1];
        match (self.target)(inner) {
            Some(target) => {
                self.text("\"");
                self.current.push(RawSpan::Digest {
                    digest: inner.to_owned(),
                    target,
                });
                self.text("\"");
            }
            None => self.text(&cut(quoted)),
        }
    }

    fn newline(&mut self, depth: usize) {
        let line = std::mem::take(&mut self.current);
        self.total += 1;
        if self.lines.len() < MAX_RAW_LINES {
            self.lines.push(line);
        }
        self.text(&"  ".repeat(depth.min(64)));
    }
}

fn layout(
    toks: &[Tok<'_>],
    target: &dyn Fn(&str) -> Option<DigestTarget>,
) -> (Vec<Vec<RawSpan>>, usize) {
    let mut out = Lines {
        lines: Vec::new(),
        current: Vec::new(),
        total: 0,
        target,
    };
    let mut depth = 0usize;
    let mut k = 0;
    while k < toks.len() {
        match &toks[k] {
            Tok::Open(c) => {
                let close = if *c == b'{' { b'}' } else { b']' };
                if toks.get(k + 1) == Some(&Tok::Close(close)) {
                    out.text(if *c == b'{' { "{}" } else { "[]" });
                    k += 2;
                    continue;
                }
                out.text(if *c == b'{' { "{" } else { "[" });
                depth += 1;
                out.newline(depth);
            }
            Tok::Close(c) => {
                depth = depth.saturating_sub(1);
                out.newline(depth);
                out.text(if *c == b'}' { "}" } else { "]" });
            }
            Tok::Colon => out.text(": "),
            Tok::Comma => {
                out.text(",");
                out.newline(depth);
            }
            Tok::Str(s) => out.string(s),
            Tok::Atom(a) => out.text(&cut(a)),
        }
        k += 1;
    }
    if !out.current.is_empty() {
        out.newline(0);
    }
    let omitted = out.total.saturating_sub(out.lines.len());
    (out.lines, omitted)
}

/// Plain text of lines (for tests and copying): spans joined.
pub fn lines_text(lines: &[Vec<RawSpan>]) -> String {
    let mut s = String::new();
    for l in lines {
        for span in l {
            match span {
                RawSpan::Text(t) => s.push_str(t),
                RawSpan::Digest { digest, .. } => s.push_str(digest),
            }
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> Option<DigestTarget> {
        None
    }

    #[test]
    fn keeps_key_order_and_escapes() {
        let (lines, omitted) = pretty(br#"{"z":1,"a":{"b":[1,"x\"y"],"e":{}},"n":null}"#, &none);
        assert_eq!(omitted, 0);
        assert_eq!(
            lines_text(&lines),
            "{\n  \"z\": 1,\n  \"a\": {\n    \"b\": [\n      1,\n      \"x\\\"y\"\n    ],\n    \"e\": {}\n  },\n  \"n\": null\n}\n"
        );
    }

    #[test]
    fn marks_digests_the_target_knows() {
        let d = format!("sha256:{}", "a".repeat(64));
        let json = format!(r#"{{"digest":"{d}","other":"sha256:{}"}}"#, "b".repeat(64));
        let known = d.clone();
        let (lines, _) = pretty(json.as_bytes(), &move |s| {
            (s == known).then_some(DigestTarget::Layer(0))
        });
        let marked: Vec<_> = lines
            .iter()
            .flatten()
            .filter_map(|s| match s {
                RawSpan::Digest { digest, target } => Some((digest.clone(), target.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(marked, vec![(d, DigestTarget::Layer(0))]);
    }

    #[test]
    fn not_json_is_shown_as_lines_and_bounded() {
        let (lines, omitted) = pretty(b"plain\ntext", &none);
        assert_eq!(lines_text(&lines), "plain\ntext\n");
        assert_eq!(omitted, 0);
        let many = "[".to_owned() + &vec!["1"; MAX_RAW_LINES + 10].join(",") + "]";
        let (lines, omitted) = pretty(many.as_bytes(), &none);
        assert_eq!(lines.len(), MAX_RAW_LINES);
        assert_eq!(omitted, 12);
        let (lines, _) = pretty(b"{\"a\": [}", &none);
        assert_eq!(lines_text(&lines), "{\"a\": [}\n");
    }
}
