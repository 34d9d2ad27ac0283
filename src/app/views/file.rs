//! The file viewer's section: what the selected entry's content looks like
//! (text with line numbers, hex, an image preview), the layer check, the
//! download, and links to follow.

use std::rc::Rc;

use crate::fs::{escape, human_size_binary};
use crate::layer::EntryKind;

use crate::app::file::content::{Kind, HEX_LIMIT};
use crate::app::file::links::resolve_symlink;
use crate::app::file::{
    selected_hardlink, Check, Content, ExtractId, ReadBy, SharedDiff, ShowAs, Stage,
};
use crate::app::state::State;

/// The prepared content, compared by identity (it is large and only ever
/// replaced whole).
#[derive(Debug, Clone)]
pub struct SharedContent(pub Rc<Content>);

impl PartialEq for SharedContent {
    fn eq(&self, other: &SharedContent) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for SharedContent {}

/// What the content area shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shown {
    /// Numbered lines (`content.text`).
    Text(SharedContent),
    /// A hex dump (`content.hex`).
    Hex(SharedContent),
    /// A unified diff against the first image's version (`None`: too
    /// different to show).
    Diff(SharedDiff),
    /// An image from the extraction's bytes, as this MIME type.
    Image {
        /// Whose bytes.
        id: ExtractId,
        /// The type the Blob gets.
        mime: &'static str,
    },
}

/// A link the entry is, and where it leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkView {
    /// "Symbolic link to" or "Hard link to".
    pub label: &'static str,
    /// The target as written (escaped).
    pub target: String,
    /// Where it resolves (`/path`), or why it cannot be followed.
    pub resolved: Result<String, String>,
    /// The button's text: "Follow" or "Open target".
    pub action: &'static str,
}

/// The file viewer's section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileContentView {
    /// `data-file-state`: `loading`, `text`, `hex`, `image`, `error`,
    /// `link` (a symbolic link) or `none` (nothing to show).
    pub hook: &'static str,
    /// The selected path, escaped (absolute).
    pub path: String,
    /// Progress or the layer check, in words.
    pub status: String,
    /// The layer check: `Some(true)` verified, `Some(false)` not.
    pub verified: Option<bool>,
    /// The view buttons offered, and which is pressed.
    pub modes: Vec<(ShowAs, &'static str, bool)>,
    /// The content.
    pub shown: Option<Shown>,
    /// What is left out of the display ("Showing the first …").
    pub note: Option<String>,
    /// The download's file name and size, once the bytes are here.
    pub download: Option<(String, String)>,
    /// A symbolic or hard link.
    pub link: Option<LinkView>,
    /// In a comparison, how this file differs from the first image's
    /// (what changed, both sizes and content digests).
    pub versions: Option<String>,
    /// Why the content could not be shown.
    pub error: Option<String>,
    /// A message about the last link followed.
    pub notice: Option<String>,
}

fn abs(path: &[u8]) -> String {
    let mut p = b"/".to_vec();
    p.extend_from_slice(path);
    escape(&p)
}

fn link_view(state: &State) -> Option<LinkView> {
    let sel = state.tree.selected()?;
    let m = state.tree.model()?;
    let info = m.info(m.lookup(sel)?, sel)?;
    if let (EntryKind::Symlink, Some(t)) = (info.kind, info.symlink) {
        let target = escape(t);
        return Some(LinkView {
            label: "Symbolic link to",
            target,
            resolved: resolve_symlink(m, sel)
                .map(|p| abs(&p))
                .map_err(|e| e.to_string()),
            action: "Follow",
        });
    }
    let h = selected_hardlink(state)?;
    let exists = m.lookup(&h).is_some();
    Some(LinkView {
        label: "Hard link to",
        target: abs(&h),
        resolved: if exists {
            Ok(abs(&h))
        } else {
            Err(format!("{} is not in this view", abs(&h)))
        },
        action: "Open target",
    })
}

fn note(c: &Content, shown: &Shown) -> Option<String> {
    match shown {
        Shown::Text(_) if c.text.truncated && (c.head.len() as u64) < c.size => Some(format!(
            "Showing the first {} lines ({} of {} bytes); download the file for all of it.",
            c.text.lines,
            c.head.len(),
            c.size
        )),
        Shown::Text(_) if c.text.truncated => Some(format!(
            "Showing the first {} lines; download the file for all of it.",
            c.text.lines
        )),
        Shown::Hex(_) if c.size > HEX_LIMIT as u64 => Some(format!(
            "Showing the first {} of {} bytes; download the file for all of it.",
            c.head.len().min(HEX_LIMIT),
            c.size
        )),
        Shown::Diff(d) if d.is_none() => Some(format!(
            "The two versions differ in more than {} lines: too many to show as a diff.",
            crate::app::file::unified::MAX_EDITS
        )),
        Shown::Diff(_) if (c.head.len() as u64) < c.size => Some(format!(
            "Comparing the first {} bytes of each version.",
            c.head.len()
        )),
        _ => None,
    }
}

/// The file viewer's section for the selected entry (`None`: nothing is
/// selected).
pub fn file_content(state: &State) -> Option<FileContentView> {
    let sel = state.tree.selected()?;
    let mut v = FileContentView {
        hook: "none",
        path: abs(sel),
        status: String::new(),
        verified: None,
        modes: Vec::new(),
        shown: None,
        note: None,
        download: None,
        link: link_view(state),
        versions: super::compare::versions(state, sel),
        error: None,
        notice: state.file.notice.clone(),
    };
    if v.link.as_ref().is_some_and(|l| l.action == "Follow") {
        v.hook = "link";
    }
    let Some(o) = state.file.open.as_ref().filter(|o| o.path == sel) else {
        return Some(v);
    };
    let layer = format!("layer {}", o.source.layer);
    v.verified = match &o.check {
        Check::Pending | Check::Skipped(_) => None,
        Check::Verified => Some(true),
        Check::Failed(_) => Some(false),
    };
    match &o.stage {
        Stage::Loading if o.read_by != ReadBy::Stream => {
            v.hook = "loading";
            v.status = format!("Reading it from {layer} by Range");
        }
        Stage::Loading => {
            v.hook = "loading";
            v.status = format!(
                "Reading {layer}: {} of {}",
                human_size_binary(o.layer_done),
                human_size_binary(o.layer_total)
            );
        }
        Stage::Failed(e) => {
            v.hook = "error";
            v.error = Some(e.clone());
        }
        Stage::Ready(c) => {
            v.status = match &o.check {
                Check::Pending => format!(
                    "Checking {layer}'s digest: {} of {}",
                    human_size_binary(o.layer_done),
                    human_size_binary(o.layer_total)
                ),
                Check::Verified if o.read_by == ReadBy::Toc => format!(
                    "From {layer}, read by Range ({} transferred) and checked against the \
                     digest in the layer's table of contents (the blob itself was not checked)",
                    human_size_binary(o.layer_done)
                ),
                Check::Verified if o.read_by == ReadBy::Checkpoint => format!(
                    "From {layer}, read by Range from a checkpoint ({} transferred) and checked \
                     against the content digest recorded when the layer was verified",
                    human_size_binary(o.layer_done)
                ),
                Check::Verified => format!("From {layer}, whose digest was verified again"),
                Check::Failed(e) => format!("NOT VERIFIED: {e}"),
                Check::Skipped(rest) => format!(
                    "From {layer}, verified when the image loaded; not checked again \
                     (reading stopped {} before the layer's end)",
                    human_size_binary(*rest)
                ),
            };
            v.download = Some((
                crate::app::file::download_name(&o.path),
                if c.size < 1024 {
                    format!("{} bytes", c.size)
                } else {
                    format!("{} ({} bytes)", human_size_binary(c.size), c.size)
                },
            ));
            let image = match c.kind {
                Kind::Image(mime) => Some(mime),
                _ => None,
            };
            // In a comparison, a text file changed on both sides: its diff.
            let diff = state
                .file
                .diff
                .as_ref()
                .filter(|d| d.1 == o.id)
                .map(|d| Rc::clone(&d.2));
            let chosen = match (state.file.show, diff.is_some()) {
                (ShowAs::Diff, false) => ShowAs::Auto,
                (ShowAs::Auto, true) => ShowAs::Diff,
                (s, _) => s,
            };
            let show = match (chosen, c.kind) {
                (ShowAs::Preview | ShowAs::Auto, Kind::Image(_)) => ShowAs::Preview,
                (ShowAs::Preview | ShowAs::Auto, Kind::Text) => ShowAs::Text,
                (ShowAs::Preview | ShowAs::Auto, Kind::Binary) => ShowAs::Hex,
                (s, _) => s,
            };
            if image.is_some() {
                v.modes
                    .push((ShowAs::Preview, "Preview", show == ShowAs::Preview));
            }
            if diff.is_some() {
                v.modes.push((ShowAs::Diff, "Diff", show == ShowAs::Diff));
            }
            v.modes.push((ShowAs::Text, "Text", show == ShowAs::Text));
            v.modes.push((ShowAs::Hex, "Hex", show == ShowAs::Hex));
            let shared = SharedContent(Rc::clone(c));
            let shown = match (show, image, diff) {
                (ShowAs::Diff, _, Some(d)) => {
                    v.hook = "diff";
                    Shown::Diff(d)
                }
                (ShowAs::Preview, Some(mime), _) => {
                    v.hook = "image";
                    Shown::Image { id: o.id, mime }
                }
                (ShowAs::Text, _, _) => {
                    v.hook = "text";
                    Shown::Text(shared)
                }
                _ => {
                    v.hook = "hex";
                    Shown::Hex(shared)
                }
            };
            if c.size == 0 {
                v.note = Some("The file is empty.".to_owned());
            } else {
                v.note = note(c, &shown);
            }
            v.shown = Some(shown);
        }
    }
    Some(v)
}
