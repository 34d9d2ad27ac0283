//! The file viewer: selecting a regular file streams its layer again and
//! extracts only that file (text with line numbers, hex, image preview,
//! download); a symbolic link can be followed, a hard link opens its target.
//!
//! * [`FileState`] — the open file and the last one kept for re-selecting;
//! * [`FileMsg`] / [`FileEffect`] — wrapped in `Msg::File` / `Effect::File`;
//! * [`update`] — the messages; [`sync`] — run after every message, it
//!   starts or stops an extraction when the selection changed;
//! * [`content`] — text or binary, image types, listings and hex dumps;
//! * [`links`] — symbolic link resolution, where a file's bytes are;
//! * [`extract`] — the network work behind [`FileEffect::Extract`].
//!
//! # Memory
//!
//! The state keeps at most [`content::DISPLAY_LIMIT`] bytes of a file (what
//! the viewer shows). All of its bytes stay with the shell (the page keeps
//! them in a browser `Blob`, outside wasm memory) for the download, under
//! the [`ExtractId`]; [`FileEffect::Forget`] says when they can go. The last
//! finished file up to [`CACHE_LIMIT`] is kept so selecting it again is
//! instant.
//!
//! # Trust
//!
//! The layer is streamed to its end and its blob digest checked again; the
//! view says "verified" only after that, and says plainly when the layer
//! did not match.

mod base;
pub mod content;
pub mod extract;
pub mod links;
mod msg;
mod open;
pub mod unified;

use std::rc::Rc;

use crate::oci::Digest;

use super::msg::Effect;
use super::state::State;
use content::{Kind, Listing};
use links::{resolve_symlink, Source};
pub use msg::{ExtractTask, FileEffect, FileMsg, ReadBy};
pub use open::sync;

/// The largest finished file kept for re-selecting after another one is
/// opened.
pub const CACHE_LIMIT: u64 = 64 << 20;

/// Once the file is complete, the rest of the layer is read (hashed, not
/// decompressed) to check its digest again only if at most this many bytes
/// remain; otherwise reading stops there, and the view says the bytes were
/// not checked again (the layer was verified when the image loaded).
pub const VERIFY_REST_LIMIT: u64 = 32 << 20;

/// Identifies one extraction (its bytes in the shell, its messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExtractId(pub u64);

/// How the content is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ShowAs {
    /// As its kind suggests: images previewed, text as text, else hex.
    #[default]
    Auto,
    /// As text with line numbers.
    Text,
    /// As a hex dump.
    Hex,
    /// As an image (only offered for images).
    Preview,
    /// As a unified diff against the first image's version (a text file a
    /// compared image modified).
    Diff,
}

/// The layer check after the stream reached its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// The rest of the layer is still streaming.
    Pending,
    /// The blob matched its descriptor's digest and size.
    Verified,
    /// It did not (or could not be read to its end): the bytes are not
    /// verified.
    Failed(String),
    /// Reading stopped after the file, this many layer bytes before the
    /// end (more than [`VERIFY_REST_LIMIT`]): not checked again.
    Skipped(u64),
}

/// The bytes shown, prepared once when they arrive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    /// The first [`content::DISPLAY_LIMIT`] bytes.
    pub head: Vec<u8>,
    /// The file's size.
    pub size: u64,
    /// What the bytes are.
    pub kind: Kind,
    /// The text listing (bounded).
    pub text: Listing,
    /// The hex dump of the first [`content::HEX_LIMIT`] bytes.
    pub hex: String,
}

impl Content {
    /// Prepares `head` (the first bytes of a `size`-byte file named `name`).
    pub fn new(head: Vec<u8>, size: u64, name: &[u8]) -> Content {
        let complete = head.len() as u64 >= size;
        let kind = content::classify(&head, name);
        let text = content::text_listing(&head, complete, content::MAX_TEXT_LINES);
        let hex = content::hex_dump(&head[..head.len().min(content::HEX_LIMIT)]);
        Content {
            head,
            size,
            kind,
            text,
            hex,
        }
    }
}

/// Where an extraction stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    /// Streaming the layer up to the file.
    Loading,
    /// The file's bytes are here.
    Ready(Rc<Content>),
    /// It failed before the file was complete.
    Failed(String),
}

/// A file being extracted or shown.
#[derive(Debug, Clone)]
pub struct OpenFile {
    /// Its extraction.
    pub id: ExtractId,
    /// The root-relative path selected.
    pub path: Vec<u8>,
    /// The layer blob holding the bytes.
    pub digest: Digest,
    /// Where in it.
    pub source: Source,
    /// Compressed bytes of the layer read so far.
    pub layer_done: u64,
    /// The layer's compressed size.
    pub layer_total: u64,
    /// Where it stands.
    pub stage: Stage,
    /// The layer check.
    pub check: Check,
    /// How its bytes are read.
    pub read_by: ReadBy,
}

impl OpenFile {
    fn same_bytes(&self, digest: &Digest, source: &Source, read_by: ReadBy) -> bool {
        // A layer listed from its table of contents numbers its entries
        // by position, any other by tar offset: the two never match.
        let listed = |r: ReadBy| r == ReadBy::Toc;
        &self.digest == digest
            && self.source.offset == source.offset
            && listed(self.read_by) == listed(read_by)
    }
}

/// A unified diff shared with the views (`None` inside: too different to
/// show).
pub type SharedDiff = Rc<Option<Vec<unified::DiffLine>>>;

/// The viewer's state (one field of [`State`]).
#[derive(Debug, Clone, Default)]
pub struct FileState {
    /// The file shown (a regular file selected).
    pub open: Option<OpenFile>,
    /// The last finished file, kept for re-selecting.
    pub kept: Option<OpenFile>,
    /// In a comparison, the first image's version of a modified file.
    pub base: Option<OpenFile>,
    /// The unified diff of the base and the open file once both are text
    /// (`None` inside: too different to show), with their extraction ids.
    pub diff: Option<(ExtractId, ExtractId, SharedDiff)>,
    /// How the content is shown (back to [`ShowAs::Auto`] for each newly
    /// selected path, so a binary file always opens as hex).
    pub show: ShowAs,
    /// A short message about the last link followed ("dangling: …").
    pub notice: Option<String>,
    synced: Option<open::SyncKey>,
    next_id: u64,
}

fn effect(e: FileEffect) -> Effect {
    Effect::File(e)
}

/// The file name a download gets: the path's last component, with
/// characters that are not safe in file names replaced.
pub fn download_name(path: &[u8]) -> String {
    let base = path.rsplit(|b| *b == b'/').next().unwrap_or(path);
    let name: String = String::from_utf8_lossy(base)
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                '_'
            } else {
                c
            }
        })
        .take(255)
        .collect();
    if name.is_empty() || name == "." || name == ".." {
        "download".to_owned()
    } else {
        name
    }
}

/// The open file or the compared image's version of it, by extraction.
fn by_id(fs: &mut FileState, id: ExtractId) -> Option<&mut OpenFile> {
    if fs.open.as_ref().is_some_and(|o| o.id == id) {
        return fs.open.as_mut();
    }
    fs.base.as_mut().filter(|o| o.id == id)
}

/// Handles a viewer message.
pub fn update(state: &mut State, msg: FileMsg) -> Vec<Effect> {
    let fs = &mut state.file;
    match msg {
        FileMsg::Progress { id, done } => {
            if let Some(o) = by_id(fs, id) {
                o.layer_done = done;
            }
            Vec::new()
        }
        FileMsg::Content { id, head, size } => {
            if let Some(o) = by_id(fs, id) {
                let mut head = head;
                head.truncate(content::DISPLAY_LIMIT);
                o.stage = Stage::Ready(Rc::new(Content::new(head, size, &o.path)));
            }
            base::diff(fs);
            Vec::new()
        }
        FileMsg::Checked { id, result } => {
            if let Some(o) = by_id(fs, id) {
                o.check = match result {
                    Ok(()) => Check::Verified,
                    Err(e) => Check::Failed(e),
                };
                // A stream read the whole layer; a Range read keeps what it
                // took (its status says how much).
                if o.read_by == ReadBy::Stream {
                    o.layer_done = o.layer_total.max(o.layer_done);
                }
            }
            Vec::new()
        }
        FileMsg::Stopped { id, remaining } => {
            if let Some(o) = by_id(fs, id) {
                o.check = Check::Skipped(remaining);
            }
            Vec::new()
        }
        FileMsg::Failed { id, error } => {
            if let Some(o) = by_id(fs, id) {
                o.stage = Stage::Failed(error);
            }
            Vec::new()
        }
        FileMsg::ShowAs(show) => {
            fs.show = show;
            Vec::new()
        }
        FileMsg::Download => match &fs.open {
            Some(o) if matches!(o.stage, Stage::Ready(_)) => vec![effect(FileEffect::Download {
                id: o.id,
                name: download_name(&o.path),
            })],
            _ => Vec::new(),
        },
        FileMsg::Follow => {
            let Some(sel) = state.tree.selected().map(<[u8]>::to_vec) else {
                return Vec::new();
            };
            let Some(model) = state.tree.model() else {
                return Vec::new();
            };
            match resolve_symlink(model, &sel) {
                Ok(target) if target.is_empty() => {
                    state.file.notice = Some("The link leads to the root directory.".to_owned());
                    Vec::new()
                }
                Ok(target) => {
                    state.file.notice = None;
                    state.tree.reveal(&target);
                    vec![state.set_url(true)]
                }
                Err(e) => {
                    state.file.notice = Some(format!("Cannot follow the link: {e}"));
                    Vec::new()
                }
            }
        }
        FileMsg::OpenTarget => {
            let target = selected_hardlink(state);
            match target {
                Some(t) if state.tree.reveal(&t) => vec![state.set_url(true)],
                _ => Vec::new(),
            }
        }
    }
}

/// The root-relative target of the selected hard link, if it is one.
pub fn selected_hardlink(state: &State) -> Option<Vec<u8>> {
    let sel = state.tree.selected()?;
    let m = state.tree.model()?;
    let info = m.info(m.lookup(sel)?, sel)?;
    info.hardlink
}
