//! The link: `?image=REF&platform=OS/ARCH[/VARIANT]&layer=N&path=/ABS/PATH&view=changes&tab=config`,
//! or the search pages' `?page=search&q=TERM&filter=K%3DV` and `?page=tags&repo=NAME`
//! ([`SearchRoute`]), parsed from and printed to a URL query string.
//!
//! A link comes from anyone, so parsing is total and bounded: at most
//! [`MAX_PARAMS`] parameters are read, a value longer than
//! [`MAX_VALUE_LEN`] bytes, as written or as it would be printed again, is
//! ignored, bad percent escapes are kept as
//! written, unknown parameters are ignored and the first of two equal names
//! wins. Each value is then parsed into its type (a platform must parse as
//! one, a layer is a number, a path is normalised and may not climb above
//! the root); a value that does not parse is dropped, so a hostile link can
//! at worst open the page with fewer settings. The reference is kept as text
//! because a link with an invalid reference should still open and say what
//! is wrong with it.
//!
//! Printing percent-encodes everything but the unreserved characters and
//! `/ : @ ,`, so `parse(print(r)) == r` for every route (paths are bytes and
//! survive even when they are not UTF-8).

use std::fmt::Write as _;

use crate::oci::Platform;

use super::search::{SearchPage, SearchRoute};

/// The most `name=value` pairs read from a query.
pub const MAX_PARAMS: usize = 32;
/// The longest value (in bytes, before decoding) that is read.
pub const MAX_VALUE_LEN: usize = 4096;

/// What the tree shows for a selected layer (dive's two modes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum LayerMode {
    /// The image as it is after this layer (all layers up to it merged).
    #[default]
    UpTo,
    /// Only what this layer added, modified and removed.
    Changes,
}

impl LayerMode {
    /// The `view=` value (`None` for the default).
    pub fn param(self) -> Option<&'static str> {
        match self {
            LayerMode::UpTo => None,
            LayerMode::Changes => Some("changes"),
        }
    }
}

/// The view a link describes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Route {
    /// The reference as written (validated when the page loads it).
    pub image: Option<String>,
    /// The platform chosen from an index.
    pub platform: Option<Platform>,
    /// The selected layer (manifest order, from 0).
    pub layer: Option<usize>,
    /// The selected path, root-relative and normalised (`etc/hello`); the
    /// root itself is `Some(vec![])`.
    pub path: Option<Vec<u8>>,
    /// The tree mode for the selected layer.
    pub mode: LayerMode,
    /// The image view's tab (`tab=config|history|waste|raw`).
    pub tab: super::workbench::Tab,
    /// The image compared with this one (`compare=REF`): the tree shows
    /// what it changed from this image.
    pub compare: Option<String>,
    /// The platform of the compared image (`compare-platform=`).
    pub compare_platform: Option<Platform>,
    /// The name of an archive opened from a file (`file=app.tar`): a link
    /// cannot carry the file, only say which it was.
    pub file: Option<String>,
    /// The search and tags pages (`page=search|tags`, `q`, `filter`, `repo`).
    pub search: SearchRoute,
    /// The image library's parameters (`page=images`, `open=…`).
    pub library: super::library::LibraryRoute,
}

/// Decodes `%HH` escapes (and `+` as a space, as browsers' form encoding
/// does). A `%` not followed by two hex digits is kept as written.
fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (hex(b[i + 1]), hex(b[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    out
}

/// Whether a byte is printed as itself in a query value.
fn keep(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/' | b':' | b'@' | b',')
}

/// The length of `bytes` percent-encoded.
fn encoded_len(bytes: &[u8]) -> usize {
    bytes.iter().map(|&b| if keep(b) { 1 } else { 3 }).sum()
}

/// Appends `bytes` percent-encoded.
fn percent_encode_into(out: &mut String, bytes: &[u8]) {
    for &b in bytes {
        if keep(b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

/// Normalises a link's path to root-relative bytes: empty and `.`
/// components dropped, `..` removes the previous one; a `..` above the root,
/// a NUL byte or a path not starting with `/` make it invalid.
pub fn normalize_link_path(raw: &[u8]) -> Option<Vec<u8>> {
    let rest = raw.strip_prefix(b"/")?;
    if raw.contains(&0) {
        return None;
    }
    let mut parts: Vec<&[u8]> = Vec::new();
    for comp in rest.split(|b| *b == b'/') {
        match comp {
            b"" | b"." => {}
            b".." => {
                parts.pop()?;
            }
            c => parts.push(c),
        }
    }
    Some(parts.join(&b'/'))
}

impl Route {
    /// Reads a query string (with or without its leading `?`).
    pub fn parse(query: &str) -> Route {
        let query = query.strip_prefix('?').unwrap_or(query);
        let mut route = Route::default();
        let mut seen: Vec<&str> = Vec::new();
        for pair in query.split('&').take(MAX_PARAMS) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            // `filter` may repeat; every other name counts once.
            if value.len() > MAX_VALUE_LEN || (seen.contains(&name) && name != "filter") {
                continue;
            }
            seen.push(name);
            let bytes = percent_decode(value);
            // What printing would make of it must be read back too (found
            // by fuzzing: `!` written as itself is printed `%21`, so a path
            // of 4,000 bytes came back as 6,000, over the limit, and was lost).
            if encoded_len(&bytes) > MAX_VALUE_LEN {
                continue;
            }
            match name {
                // `page` and `filter` are shared with the images page.
                n if SearchRoute::owns(n) => {
                    route.library.param(n, &bytes);
                    route.search.read(n, bytes);
                }
                "image" => route.image = reference_text(bytes),
                "compare" => route.compare = reference_text(bytes),
                "platform" => route.platform = platform_of(&bytes),
                "compare-platform" => route.compare_platform = platform_of(&bytes),
                "layer" => {
                    route.layer = std::str::from_utf8(&bytes)
                        .ok()
                        .filter(|s| s.len() <= 6 && s.bytes().all(|b| b.is_ascii_digit()))
                        .and_then(|s| s.parse().ok());
                }
                "path" => route.path = normalize_link_path(&bytes),
                "view" => {
                    route.mode = if bytes == b"changes" {
                        LayerMode::Changes
                    } else {
                        LayerMode::UpTo
                    };
                }
                "tab" => route.tab = super::workbench::Tab::parse(&bytes).unwrap_or_default(),
                "file" => {
                    route.file = String::from_utf8(bytes)
                        .ok()
                        .map(|s| s.trim().to_owned())
                        .filter(|s| {
                            !s.is_empty() && s.len() <= 255 && !s.chars().any(char::is_control)
                        });
                }
                other => {
                    route.library.param(other, &bytes);
                }
            }
        }
        // A comparison is of an image.
        if route.image.is_none() {
            route.compare = None;
        }
        if route.compare.is_none() {
            route.compare_platform = None;
        }
        // A page's settings exist only with that page: that is when they are
        // printed, so `parse(print(r)) == r` (found by fuzzing: a search
        // link's second `filter` lingered as the images page's filter, a
        // `repo` without `page=tags` as the tags page's, and no printed link
        // could carry them).
        if !route.library.page {
            route.library.filter = None;
            route.library.format = None;
            route.library.digests = false;
        }
        let search = &mut route.search;
        if search.page != Some(SearchPage::Search) {
            search.q = None;
            search.filters.clear();
        }
        if search.page != Some(SearchPage::Tags) {
            search.repo = None;
        }
        route
    }

    /// The query string, with its leading `?` (empty for the empty route).
    pub fn to_query(&self) -> String {
        let mut out = String::new();
        let sep = |out: &mut String, name: &str| {
            out.push(if out.is_empty() { '?' } else { '&' });
            out.push_str(name);
            out.push('=');
        };
        if let Some(image) = &self.image {
            sep(&mut out, "image");
            percent_encode_into(&mut out, image.as_bytes());
        }
        if let Some(f) = &self.file {
            sep(&mut out, "file");
            percent_encode_into(&mut out, f.as_bytes());
        }
        if let Some(p) = &self.platform {
            sep(&mut out, "platform");
            percent_encode_into(&mut out, platform_label(p).as_bytes());
        }
        if let Some(c) = &self.compare {
            sep(&mut out, "compare");
            percent_encode_into(&mut out, c.as_bytes());
        }
        if let Some(p) = &self.compare_platform {
            sep(&mut out, "compare-platform");
            percent_encode_into(&mut out, platform_label(p).as_bytes());
        }
        if let Some(l) = self.layer {
            sep(&mut out, "layer");
            let _ = write!(out, "{l}");
        }
        if let Some(path) = &self.path {
            sep(&mut out, "path");
            let mut abs = Vec::with_capacity(path.len() + 1);
            abs.push(b'/');
            abs.extend_from_slice(path);
            percent_encode_into(&mut out, &abs);
        }
        if let Some(v) = self.mode.param() {
            sep(&mut out, "view");
            out.push_str(v);
        }
        if let Some(t) = self.tab.param() {
            sep(&mut out, "tab");
            out.push_str(t);
        }
        for (name, value) in self.search.params().into_iter().chain(self.library.pairs()) {
            sep(&mut out, name);
            percent_encode_into(&mut out, value.as_bytes());
        }
        out
    }
}

/// A reference as a link carries it: trimmed, not empty, no control
/// characters (checked as a reference when loaded).
fn reference_text(bytes: Vec<u8>) -> Option<String> {
    String::from_utf8(bytes)
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty() && !s.chars().any(char::is_control))
}

/// A platform as a link writes it ([`platform_label`]).
fn platform_of(bytes: &[u8]) -> Option<Platform> {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|s| Platform::parse(s).ok())
}

/// `os/arch[/variant]`: how a platform is written in links and on buttons
/// (`data-platform`). The OS version is left out: a link names the choice a
/// person makes, and two entries differing only in OS version are told apart
/// on the page.
pub fn platform_label(p: &Platform) -> String {
    match p.variant() {
        Some(v) => format!("{}/{}/{v}", p.os(), p.architecture()),
        None => format!("{}/{}", p.os(), p.architecture()),
    }
}
