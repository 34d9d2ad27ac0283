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
pub mod unified;

use std::rc::Rc;
use std::sync::Arc;

use crate::inspect::{LayerOutcome, LayerReport};
use crate::layer::seek::SeekIndex;
use crate::layer::toc::ListedFile;
use crate::layer::EntryKind;
use crate::oci::{Descriptor, Digest};

use super::msg::{Effect, LoadId};
use super::state::{Current, Phase, State};
use super::tree::model::Change;
use content::{Kind, Listing};
use links::{content_source, resolve_symlink, Source};
pub use msg::{ExtractTask, FileEffect, FileMsg, ReadBy};

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

/// What [`sync`] last looked at, so it does nothing while that is unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SyncKey {
    load: Option<LoadId>,
    /// The compared image's load, while the tree shows the comparison.
    compared: Option<LoadId>,
    hook: &'static str,
    selected: Option<Vec<u8>>,
    layer: Option<usize>,
    mode: super::route::LayerMode,
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
    synced: Option<SyncKey>,
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

/// The regular file the selection asks for: its path, layer descriptor and
/// where its bytes are.
/// The compared image's load, while the tree shows the comparison (its
/// paths are the compared image's, but for the removed ones).
fn compared(state: &State) -> Option<&Current> {
    state
        .compare
        .as_ref()
        .filter(|c| c.result.is_some() && state.layer.is_none())?
        .side
        .as_ref()
}

/// The selected regular file: its path, its layer's descriptor, where its
/// bytes are, and the load whose image holds it (the current image's, or
/// the compared one's for a path of the comparison it has).
fn wanted(state: &State) -> Option<(Vec<u8>, Descriptor, Source, &Current)> {
    if state.phase != Phase::Ready {
        return None;
    }
    let sel = state.tree.selected()?;
    let m = state.tree.model()?;
    let info = m.info(m.lookup(sel)?, sel)?;
    if info.kind != EntryKind::File {
        return None;
    }
    let cur = match compared(state) {
        Some(side) if info.change != Change::Removed => side,
        _ => state.current.as_ref()?,
    };
    let source = content_source(&cur.reports, info.layer?, sel)?;
    let report: &LayerReport = cur.report(source.layer)?;
    Some((sel.to_vec(), report.descriptor.clone(), source, cur))
}

/// Puts the open file away: kept for re-selecting when it is finished,
/// verified and small enough; otherwise its bytes are forgotten.
fn put_away(fs: &mut FileState, effects: &mut Vec<Effect>) {
    let Some(o) = fs.open.take() else {
        return;
    };
    let keep = matches!(o.stage, Stage::Ready(_))
        && matches!(o.check, Check::Verified | Check::Skipped(_))
        && o.source.size <= CACHE_LIMIT;
    if keep {
        if let Some(old) = fs.kept.replace(o) {
            effects.push(effect(FileEffect::Forget(old.id)));
        }
    } else {
        effects.push(effect(FileEffect::Forget(o.id)));
    }
}

/// Starts or stops an extraction when the selection changed; called after
/// every message.
pub fn sync(state: &mut State, effects: &mut Vec<Effect>) {
    let key = SyncKey {
        load: state.current.as_ref().map(|c| c.load),
        compared: compared(state).map(|c| c.load),
        hook: state.phase.hook(),
        selected: state.tree.selected().map(<[u8]>::to_vec),
        layer: state.layer,
        mode: state.mode,
    };
    if state.file.synced.as_ref() == Some(&key) {
        return;
    }
    if state.file.synced.as_ref().map(|k| &k.selected) != Some(&key.selected) {
        state.file.show = ShowAs::Auto;
    }
    state.file.synced = Some(key);
    state.file.notice = None;
    sync_open(state, effects);
    base::sync(state, effects);
}

/// How one file's bytes are read, from which load.
pub(crate) struct Plan {
    path: Vec<u8>,
    descriptor: Descriptor,
    source: Source,
    load: LoadId,
    image: Option<Box<crate::inspect::Image>>,
    listed: Option<ListedFile>,
    seek: Option<(Arc<SeekIndex>, crate::layer::Entry)>,
    read_by: ReadBy,
}

impl Plan {
    /// The plan for the file at `path` (bytes at `source` of the layer
    /// `descriptor`) of the load `from`.
    pub(crate) fn new(
        from: &Current,
        path: Vec<u8>,
        descriptor: Descriptor,
        source: Source,
    ) -> Plan {
        // A layer listed from its table of contents: its entries' offsets
        // are their positions in the listing, and its files are read by
        // Range.
        let report = from.report(source.layer);
        let listed = report.and_then(|r| match &r.outcome {
            LayerOutcome::Listed(l) => l.file(usize::try_from(source.offset).ok()?),
            _ => None,
        });
        // A verified layer whose scan recorded checkpoints (this load's, or
        // the library's): the file is read from a range of the blob. A
        // layer smaller than the spacing has none: it streams, and its
        // digest is checked again, as cheaply.
        let seek = report.and_then(|r| {
            let index = r.verified()?.index();
            let seek = index.seek().filter(|s| !s.is_empty())?;
            let entry = index.entries().iter().find(|e| e.offset == source.offset)?;
            Some((Arc::clone(seek), entry.clone()))
        });
        let read_by = match (&listed, &seek) {
            (Some(_), _) => ReadBy::Toc,
            (None, Some(_)) => ReadBy::Checkpoint,
            (None, None) => ReadBy::Stream,
        };
        Plan {
            path,
            descriptor,
            source,
            load: from.load,
            image: from.image.clone(),
            listed,
            seek,
            read_by,
        }
    }

    /// Whether `o` already holds these bytes.
    fn held_by(&self, o: &OpenFile) -> bool {
        o.same_bytes(self.descriptor.digest(), &self.source, self.read_by)
    }

    /// The open file, loading, under a new extraction id.
    pub(crate) fn open(&self, fs: &mut FileState) -> OpenFile {
        fs.next_id += 1;
        OpenFile {
            id: ExtractId(fs.next_id),
            path: self.path.clone(),
            digest: self.descriptor.digest().clone(),
            source: self.source,
            layer_done: 0,
            layer_total: self.descriptor.size(),
            stage: Stage::Loading,
            check: Check::Pending,
            read_by: self.read_by,
        }
    }

    /// The extraction of these bytes as `id`; `None` when the image is
    /// not resolved.
    pub(crate) fn task(self, id: ExtractId, state: &State) -> Option<Effect> {
        let reference = self.image?.reference;
        let credentials = state.auth.saved.get(reference.registry_host()).cloned();
        Some(effect(FileEffect::Extract(Box::new(ExtractTask {
            id,
            load: self.load,
            reference,
            layer: self.source.layer,
            descriptor: self.descriptor,
            offset: self.source.offset,
            size: self.source.size,
            head_limit: content::DISPLAY_LIMIT,
            verify_limit: VERIFY_REST_LIMIT,
            proxy_base: state.proxy_base.clone(),
            credentials,
            listed: self.listed,
            seek: self.seek,
        }))))
    }
}

/// Opens the selected file (or keeps it open).
fn sync_open(state: &mut State, effects: &mut Vec<Effect>) {
    let Some(plan) = wanted(state).map(|(p, d, s, from)| Plan::new(from, p, d, s)) else {
        put_away(&mut state.file, effects);
        return;
    };
    let fs = &mut state.file;
    if let Some(o) = fs.open.as_mut().filter(|o| plan.held_by(o)) {
        // The same bytes under another name (a hard link) or view.
        o.path = plan.path;
        return;
    }
    let kept = fs.kept.take_if(|k| plan.held_by(k));
    put_away(fs, effects);
    if let Some(mut k) = kept {
        k.path = plan.path;
        fs.open = Some(k);
        return;
    }
    let open = plan.open(fs);
    let id = open.id;
    fs.open = Some(open);
    if let Some(file) = super::library::file_not_at_hand(state) {
        // An image from a file, reopened from the library: its bytes are in
        // the file, not behind any registry.
        if let Some(o) = state.file.open.as_mut() {
            o.stage = Stage::Failed(format!(
                "This image was opened from file: {file}, which is not at hand here. Open {file} \
                 again (Open a file… or drop it on the page) to read its files."
            ));
        }
        return;
    }
    effects.extend(plan.task(id, state));
}
