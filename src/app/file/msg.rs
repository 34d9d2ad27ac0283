//! What the viewer asks the shell for ([`FileEffect`], with the
//! [`ExtractTask`] it runs) and what the shell answers ([`FileMsg`]).

use std::sync::Arc;

use crate::layer::seek::SeekIndex;
use crate::layer::toc::ListedFile;
use crate::layer::Entry;
use crate::oci::{Descriptor, Reference};
use crate::registry::Credentials;

use super::{ExtractId, ShowAs};
use crate::app::msg::LoadId;

/// What [`FileEffect::Extract`] asks for.
#[derive(Debug, Clone)]
pub struct ExtractTask {
    /// This extraction.
    pub id: ExtractId,
    /// The load it belongs to (the shell reuses one client per load).
    pub load: LoadId,
    /// The image's reference (its repository names the blob).
    pub reference: Reference,
    /// The layer's index.
    pub layer: usize,
    /// The layer's descriptor (digest, size, media type).
    pub descriptor: Descriptor,
    /// The entry's header offset in the layer's tar.
    pub offset: u64,
    /// The file's size.
    pub size: u64,
    /// The most bytes to send back in [`FileMsg::Content`].
    pub head_limit: usize,
    /// Read the rest of the layer to check its digest only if at most this
    /// many bytes remain after the file ([`VERIFY_REST_LIMIT`](super::VERIFY_REST_LIMIT)).
    pub verify_limit: u64,
    /// Where the proxy is.
    pub proxy_base: String,
    /// Credentials for the registry, when the user gave some.
    pub credentials: Option<Credentials>,
    /// When the layer was listed from its table of contents: the file and
    /// its spans, read by `Range` and checked against the table's digest
    /// instead of streaming the layer.
    pub listed: Option<ListedFile>,
    /// When the verified layer's scan recorded seek checkpoints: they and
    /// the entry, to read the file from a range of the blob (checked
    /// against the entry's content digest) instead of streaming the layer.
    pub seek: Option<(Arc<SeekIndex>, Entry)>,
}

/// How an open file's bytes are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadBy {
    /// The layer streamed from its start (and its digest checked again
    /// when the rest is small enough).
    Stream,
    /// Its pieces by `Range`, from the layer's table of contents.
    Toc,
    /// A range of the blob from the nearest seek checkpoint.
    Checkpoint,
}

/// What the shell must do for the viewer.
#[derive(Debug, Clone)]
pub enum FileEffect {
    /// Stream a layer and extract one file's bytes.
    Extract(Box<ExtractTask>),
    /// Stop an extraction if it runs, and drop its bytes.
    Forget(ExtractId),
    /// Save the extraction's bytes as a file named `name`.
    Download {
        /// Which bytes.
        id: ExtractId,
        /// The file name offered.
        name: String,
    },
}

/// What happened to the viewer.
#[derive(Debug, Clone)]
pub enum FileMsg {
    /// Compressed layer bytes read so far.
    Progress {
        /// Which extraction.
        id: ExtractId,
        /// Bytes read.
        done: u64,
    },
    /// The file is complete (the layer may still be streaming for its check).
    Content {
        /// Which extraction.
        id: ExtractId,
        /// Its first bytes (at most the task's `head_limit`).
        head: Vec<u8>,
        /// Its size.
        size: u64,
    },
    /// The layer reached its end and was checked against its descriptor.
    Checked {
        /// Which extraction.
        id: ExtractId,
        /// `Err` says why the bytes are not verified.
        result: Result<(), String>,
    },
    /// Reading stopped after the file: the rest of the layer (`remaining`
    /// bytes) was not fetched, so its digest was not checked again.
    Stopped {
        /// Which extraction.
        id: ExtractId,
        /// Layer bytes not read.
        remaining: u64,
    },
    /// The extraction failed before the file was complete.
    Failed {
        /// Which extraction.
        id: ExtractId,
        /// Why, in words.
        error: String,
    },
    /// A view button (Text, Hex, Preview) was pressed.
    ShowAs(ShowAs),
    /// "Follow" on a symbolic link.
    Follow,
    /// "Open target" on a hard link.
    OpenTarget,
    /// "Download".
    Download,
}
