//! The library's link parameters, read and written by
//! [`crate::app::Route`]:
//!
//! * `page=images` — the images list, with `filter=` (the filter box as
//!   typed, Docker's `key=value` items separated by spaces), `format=` (a Go
//!   template or `table …`) and `digests=1` (`--digests`);
//! * `open=sha256:…` — an image reopened from the library by manifest
//!   digest, rendered from the store without the network (with the usual
//!   `layer=`, `path=`, `view=`). A link `?image=REF` always loads from the
//!   registry.
//!
//! Values are bounded by the route parser; here a digest must parse and a
//! filter or format must be text without control characters other than tab.

use crate::oci::Digest;

/// The longest filter or format value kept.
pub const MAX_TEXT: usize = 1024;

/// The library's part of a link.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LibraryRoute {
    /// `page=images`.
    pub page: bool,
    /// `filter=`.
    pub filter: Option<String>,
    /// `format=`.
    pub format: Option<String>,
    /// `digests=1`.
    pub digests: bool,
    /// `open=MANIFEST_DIGEST`.
    pub open: Option<Digest>,
}

fn text(bytes: &[u8]) -> Option<String> {
    let s = std::str::from_utf8(bytes).ok()?;
    (s.len() <= MAX_TEXT && !s.is_empty() && !s.chars().any(|c| c.is_control() && c != '\t'))
        .then(|| s.to_owned())
}

impl LibraryRoute {
    /// Whether the link is the library's (the images page or a reopen).
    pub fn is_active(&self) -> bool {
        self.page || self.open.is_some()
    }

    /// Reads one parameter; whether it was the library's.
    pub fn param(&mut self, name: &str, value: &[u8]) -> bool {
        match name {
            "page" if value == b"images" => self.page = true,
            "filter" => self.filter = text(value),
            "format" => self.format = text(value),
            "digests" => self.digests = value == b"1",
            "open" => self.open = std::str::from_utf8(value).ok().and_then(|s| s.parse().ok()),
            _ => return false,
        }
        true
    }

    /// The parameters to print, in order, as `(name, value)`.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        // `filter` is also the search page's: the images page's filter,
        // format and digests are printed only with the images page.
        if self.page {
            out.push(("page", "images".to_owned()));
            if let Some(f) = &self.filter {
                out.push(("filter", f.clone()));
            }
            if let Some(f) = &self.format {
                out.push(("format", f.clone()));
            }
            if self.digests {
                out.push(("digests", "1".to_owned()));
            }
        }
        if let Some(d) = &self.open {
            out.push(("open", d.to_string()));
        }
        out
    }
}
