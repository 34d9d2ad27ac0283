//! Streaming every layer of a resolved image through the scanner, bounded in
//! concurrency, with progress, and merging the verified ones.

use std::future::Future;

use futures_util::stream::{self, StreamExt};

use crate::fs::{MergeBuilder, MergeOptions, MergedFs};
use crate::inspect::{Image, LayerFailure, ScanFault, Verify};
use crate::layer::toc::ListedLayer;
use crate::layer::{
    verify, Entry, LayerIndex, LayerProblem, ScanEngine, ScanOptions, Unverified, VerifiedLayer,
};
use crate::oci::{Compression, Descriptor, Digest, Reference};
use crate::registry::client::Client;
use crate::registry::error::RegistryError;
use crate::registry::resume::{ClientBlob, PlannedBlob, ResumingBody};
use crate::registry::{BlobBody, BlobError, Body, Fetch, Request};

/// How layers are scanned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanSettings {
    /// Hash every regular file (needed for content listings and to tell a
    /// modified file from one rewritten unchanged).
    pub hash_contents: bool,
    /// Layers streamed at once.
    pub concurrency: usize,
    /// Which scanner each layer gets (one thread unless a shell says otherwise).
    pub engine: ScanEngine,
    /// How far each layer is checked (every blob streamed by default).
    pub verify: Verify,
    /// Record checkpoints in each layer's index so one file can later be
    /// read from a range of the blob ([`crate::layer::seek`]; the page
    /// keeps them in its library). Off by default.
    pub seek: bool,
}

impl Default for ScanSettings {
    fn default() -> ScanSettings {
        ScanSettings {
            hash_contents: true,
            concurrency: 3,
            engine: ScanEngine::default(),
            verify: Verify::Full,
            seek: false,
        }
    }
}

/// A progress event, so a page or terminal can show each layer's bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// A layer's download started.
    Started {
        /// Layer index in the manifest.
        index: usize,
        /// Its compressed size from the descriptor.
        total: u64,
    },
    /// More bytes of a layer were scanned.
    Bytes {
        /// Layer index in the manifest.
        index: usize,
        /// Compressed bytes read so far.
        done: u64,
        /// Compressed size from the descriptor.
        total: u64,
    },
    /// A layer finished (successfully or not).
    Finished {
        /// Layer index in the manifest.
        index: usize,
    },
    /// A layer's table of contents could not be used (malformed
    /// annotations, a table that does not match its digest, a request that
    /// failed): the layer is streamed and verified whole instead.
    TocRefused {
        /// Layer index in the manifest.
        index: usize,
    },
}

/// What happened to one layer.
#[derive(Debug, Clone)]
pub enum LayerOutcome {
    /// Scanned to the end, and blob digest, size and diff_id all matched:
    /// the only outcome whose entries reach the merged tree.
    Verified(VerifiedLayer),
    /// Scanned to the end, but not the layer the manifest and config
    /// promised: kept out of the merged tree, its entries shown unverified.
    Unverified(Unverified),
    /// The download or the scan failed part-way; the entries read before
    /// the failure are kept (unverified).
    Failed {
        /// What went wrong.
        failure: LayerFailure,
        /// Entries scanned before the failure.
        entries: Vec<Entry>,
        /// When the blob, read to its end, is not the one the descriptor
        /// names: the failure is a digest or size mismatch (other bytes were
        /// sent), not a corrupt layer.
        mismatch: Option<LayerProblem>,
    },
    /// Listed from its table of contents (`--verify toc`): the listing
    /// matched the digest the manifest names, the blob was not read. Its
    /// entries reach the merged tree; it is not verified.
    Listed(ListedLayer),
    /// Not fetched: non-distributable (foreign) layers, unknown layer types.
    Skipped {
        /// Why.
        reason: String,
    },
}

/// One layer's report.
#[derive(Debug, Clone)]
pub struct LayerReport {
    /// Index in the manifest's `layers`.
    pub index: usize,
    /// The manifest's descriptor for it.
    pub descriptor: Descriptor,
    /// The config's `rootfs.diff_ids` entry for it, if present.
    pub diff_id: Option<Digest>,
    /// What happened.
    pub outcome: LayerOutcome,
}

impl LayerReport {
    /// The report of layer `index` (`descriptor`, config `diff_id`) whose
    /// scan produced `layer` — on this thread, in a worker, or long ago (a
    /// stored index): it is [`verify`]-ed here, whatever its origin.
    pub fn scanned(
        index: usize,
        descriptor: Descriptor,
        diff_id: Option<Digest>,
        layer: LayerIndex,
    ) -> LayerReport {
        let outcome = match verify(layer, &descriptor, diff_id.as_ref()) {
            Ok(v) => LayerOutcome::Verified(v),
            Err(u) => LayerOutcome::Unverified(u),
        };
        LayerReport {
            index,
            descriptor,
            diff_id,
            outcome,
        }
    }

    /// Whether the layer was scanned and every check passed.
    pub fn is_verified(&self) -> bool {
        self.verified().is_some()
    }

    /// The verified layer, when every check passed.
    pub fn verified(&self) -> Option<&VerifiedLayer> {
        match &self.outcome {
            LayerOutcome::Verified(v) => Some(v),
            _ => None,
        }
    }

    /// The index of a layer scanned to its end, verified or not.
    pub fn layer_index(&self) -> Option<&LayerIndex> {
        match &self.outcome {
            LayerOutcome::Verified(v) => Some(v.index()),
            LayerOutcome::Unverified(u) => Some(u.index()),
            _ => None,
        }
    }

    /// The entries scanned, verified or not.
    pub fn entries(&self) -> &[Entry] {
        match &self.outcome {
            LayerOutcome::Verified(v) => v.entries(),
            LayerOutcome::Unverified(u) => u.index().entries(),
            LayerOutcome::Failed { entries, .. } => entries,
            LayerOutcome::Listed(l) => l.entries(),
            LayerOutcome::Skipped { .. } => &[],
        }
    }

    /// Applies this layer to `builder`: its entries when it verified, else
    /// a gap that keeps its number (the one place the rule is written).
    pub fn merge_into(&self, builder: &mut MergeBuilder) {
        match (&self.outcome, self.verified()) {
            (_, Some(layer)) => builder.push_layer(layer),
            (LayerOutcome::Listed(listed), None) => builder.push_listed(listed),
            (_, None) => builder.gap(self.problem().unwrap_or_default()),
        }
    }

    /// What a layer listed from its table of contents has and has not
    /// proved (`None` for any other).
    pub fn note(&self) -> Option<String> {
        match &self.outcome {
            LayerOutcome::Listed(l) => Some(format!(
                "layer {} ({}): listed from its {} table of contents, which matches the \
                 manifest; the blob and its diff_id were not checked{}",
                self.index,
                self.descriptor.digest(),
                l.format(),
                if l.whole_blob() {
                    " (the registry ignored Range: the blob was read from its start to reach \
                     the table)"
                } else {
                    ""
                }
            )),
            _ => None,
        }
    }

    /// A one-line reason when the layer is not verified.
    pub fn problem(&self) -> Option<String> {
        let what = format!("layer {} ({})", self.index, self.descriptor.digest());
        match &self.outcome {
            LayerOutcome::Verified(_) | LayerOutcome::Listed(_) => None,
            LayerOutcome::Unverified(u) => Some(format!("{what}: {u}")),
            LayerOutcome::Failed {
                mismatch: Some(m), ..
            } => Some(format!("{what}: {m}")),
            LayerOutcome::Failed { failure, .. } => Some(format!("{what}: {failure}")),
            LayerOutcome::Skipped { reason } => Some(format!("{what}: not fetched: {reason}")),
        }
    }
}

/// Streams one layer through the scanner and verifies it against its
/// descriptor and diff_id. [`scan_layers`] runs this for every layer; a shell
/// that wants each layer's report as soon as it completes (the page shows
/// each verification result as it lands) drives it itself.
pub async fn scan_layer<F: Fetch, C: Fn() -> u64>(
    client: &Client<F, C>,
    reference: &Reference,
    index: usize,
    descriptor: Descriptor,
    diff_id: Option<Digest>,
    settings: &ScanSettings,
    progress: &dyn Fn(Progress),
) -> LayerReport {
    if settings.verify == Verify::Toc {
        let listed = list_layer(
            client,
            reference,
            index,
            &descriptor,
            diff_id.as_ref(),
            progress,
        );
        if let Some(report) = listed.await {
            return report;
        }
        // No table of contents, or one that cannot be used: the layer
        // streams and is verified whole.
    }
    let (digest, size) = (descriptor.digest().clone(), descriptor.size());
    let open = async move {
        let blob = ClientBlob::new(client, reference, digest.clone());
        ResumingBody::open(blob, &digest, size).await?.checked()
    };
    scan_opened(open, index, descriptor, diff_id, settings, progress).await
}

/// The report of layer `index` listed from its table of contents
/// ([`Verify::Toc`]), or `None` when it has none that can be used (the
/// caller streams it). Progress says it started and finished.
pub async fn list_layer<F: Fetch, C: Fn() -> u64>(
    client: &Client<F, C>,
    reference: &Reference,
    index: usize,
    descriptor: &Descriptor,
    diff_id: Option<&Digest>,
    progress: &dyn Fn(Progress),
) -> Option<LayerReport> {
    let listed = match super::toc::list_from_toc(client, reference, descriptor).await? {
        Ok(listed) => listed,
        Err(_) => {
            progress(Progress::TocRefused { index });
            return None;
        }
    };
    progress(Progress::Started {
        index,
        total: descriptor.size(),
    });
    progress(Progress::Finished { index });
    Some(LayerReport {
        index,
        descriptor: descriptor.clone(),
        diff_id: diff_id.cloned(),
        outcome: LayerOutcome::Listed(listed),
    })
}

/// [`scan_layer`] for a blob `request` planned elsewhere: the page plans it
/// with its client's fresh token, a layer worker sends it with a plain
/// `fetch` (no client, no second plan) and scans what comes back. The
/// status is read as the client reads it ([`crate::registry::blob_response`]);
/// a dropped stream resumes once like the client's
/// ([`crate::registry::resume`]).
pub async fn scan_request<F: Fetch>(
    fetch: &F,
    request: Request,
    index: usize,
    descriptor: Descriptor,
    diff_id: Option<Digest>,
    settings: &ScanSettings,
    progress: &dyn Fn(Progress),
) -> LayerReport {
    let (digest, size) = (descriptor.digest().clone(), descriptor.size());
    let open = async move {
        let blob = PlannedBlob::new(fetch, request, digest.clone());
        ResumingBody::open(blob, &digest, size).await?.checked()
    };
    scan_opened(open, index, descriptor, diff_id, settings, progress).await
}

/// The layer's report once `open` (not started before the layer is known to
/// be fetchable) gives its blob's body.
async fn scan_opened<B: Body>(
    open: impl Future<Output = Result<B, RegistryError>>,
    index: usize,
    descriptor: Descriptor,
    diff_id: Option<Digest>,
    settings: &ScanSettings,
    progress: &dyn Fn(Progress),
) -> LayerReport {
    let report = |outcome| LayerReport {
        index,
        descriptor: descriptor.clone(),
        diff_id: diff_id.clone(),
        outcome,
    };
    let media_type = descriptor.media_type();
    if media_type.is_non_distributable() {
        return report(LayerOutcome::Skipped {
            reason: format!("non-distributable layer ({media_type})"),
        });
    }
    let Some(compression) = media_type.layer_compression() else {
        return report(LayerOutcome::Skipped {
            reason: format!("not a layer media type ({media_type})"),
        });
    };
    let total = descriptor.size();
    progress(Progress::Started { index, total });
    let opened = match open.await {
        Ok(b) => b,
        Err(e) => {
            progress(Progress::Finished { index });
            return report(LayerOutcome::Failed {
                failure: LayerFailure::Fetch(e),
                entries: Vec::new(),
                mismatch: None,
            });
        }
    };
    let body = BlobBody::new(opened, descriptor.digest(), descriptor.size());
    scan_body(
        body,
        compression,
        index,
        descriptor,
        diff_id,
        settings,
        progress,
    )
    .await
}

/// Scans an open layer blob `body` (the blob of `descriptor`, read from its
/// start) and verifies it against its descriptor and `diff_id`; the scanner
/// hashes the bytes, the body caps them at the descriptor's size. Progress
/// goes on from `Started` (sent by whoever opened the body) to `Finished`.
pub async fn scan_body<B: Body>(
    mut body: BlobBody<B>,
    compression: Compression,
    index: usize,
    descriptor: Descriptor,
    diff_id: Option<Digest>,
    settings: &ScanSettings,
    progress: &dyn Fn(Progress),
) -> LayerReport {
    let options = ScanOptions {
        hash_contents: settings.hash_contents,
        seek_spacing: settings.seek.then_some(crate::layer::seek::DEFAULT_SPACING),
        ..ScanOptions::for_layer(descriptor.digest(), diff_id.as_ref())
    };
    let total = descriptor.size();
    let mut scanner = settings.engine.start(compression, options);
    // (the failure, whether the rest of the blob can still be read)
    let failure = loop {
        match body.chunk().await {
            Ok(Some(chunk)) => {
                if let Err(e) = scanner.feed(&chunk) {
                    break Some((LayerFailure::Scan(ScanFault::from(&e)), true));
                }
                let done = body.received();
                progress(Progress::Bytes { index, done, total });
                scanner.ready().await;
            }
            Ok(None) => break None,
            Err(e) => break Some((blob_failure(e, total), false)),
        }
    };
    let failed = |failure, entries, body: &BlobBody<B>, blob: Digest| {
        progress(Progress::Finished { index });
        // Only a body read whole (or stopped for running over) tells other
        // bytes from a corrupt layer.
        let mismatch = if body.complete() {
            body.check(&blob).err().map(LayerProblem::Blob)
        } else {
            None
        };
        LayerReport {
            index,
            descriptor: descriptor.clone(),
            diff_id: diff_id.clone(),
            outcome: LayerOutcome::Failed {
                failure,
                entries,
                mismatch,
            },
        }
    };
    if let Some((failure, readable)) = failure {
        if readable {
            // Read the rest (capped at the descriptor's size) to tell other
            // bytes from a corrupt layer.
            while let Ok(Some(chunk)) = body.chunk().await {
                scanner.hash_only(&chunk);
                let done = body.received();
                progress(Progress::Bytes { index, done, total });
                scanner.ready().await;
            }
        }
        scanner.settle().await;
        let entries = scanner.entries_so_far();
        return failed(failure, entries, &body, scanner.blob_digest());
    }
    scanner.settle().await;
    let blob = scanner.blob_digest();
    match scanner.finish() {
        Ok(scan) => {
            progress(Progress::Finished { index });
            LayerReport::scanned(index, descriptor, diff_id, scan.into_index())
        }
        Err(scan) => {
            // A stream that ends early is most often a short download: say so
            // with the size, as that is what a person can check.
            let failure = LayerFailure::scan_end(scan.error(), body.received(), total);
            failed(failure, scan.into_entries(), &body, blob)
        }
    }
}

/// A body that stopped early, as a layer failure.
fn blob_failure(e: BlobError, total: u64) -> LayerFailure {
    match e {
        BlobError::Oversize { size } => LayerFailure::Oversize { total: size },
        BlobError::Interrupted { received, error } => LayerFailure::Interrupted {
            received,
            total,
            error,
        },
    }
}

/// One layer of an image to scan: its place, its descriptor and the
/// config's diff_id for it (if the config has one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerJob {
    /// Position in the manifest (0 = base).
    pub index: usize,
    /// The manifest's descriptor of the blob.
    pub descriptor: Descriptor,
    /// The config's `rootfs.diff_ids` entry at the same position.
    pub diff_id: Option<Digest>,
}

impl LayerJob {
    /// The report of this layer when it failed before any byte was scanned.
    pub fn failed(&self, failure: LayerFailure) -> LayerReport {
        LayerReport {
            index: self.index,
            descriptor: self.descriptor.clone(),
            diff_id: self.diff_id.clone(),
            outcome: LayerOutcome::Failed {
                failure,
                entries: Vec::new(),
                mismatch: None,
            },
        }
    }
}

/// The layers of `image`, base first, each with its diff_id.
pub fn layer_jobs(image: &Image) -> Vec<LayerJob> {
    let diff_ids = image.image_config().map_or(&[][..], |c| c.diff_ids());
    image
        .image_manifest()
        .map_or(&[][..], |m| m.layers())
        .iter()
        .enumerate()
        .map(|(index, d)| LayerJob {
            index,
            descriptor: d.clone(),
            diff_id: diff_ids.get(index).cloned(),
        })
        .collect()
}

/// Streams every layer of `image` through the scanner, at most
/// `settings.concurrency` at once, yielding each layer's report as it
/// completes (the page shows them as they come).
pub fn layer_reports<'a, F: Fetch, C: Fn() -> u64>(
    client: &'a Client<F, C>,
    image: &'a Image,
    settings: &'a ScanSettings,
    progress: &'a dyn Fn(Progress),
) -> impl futures_util::Stream<Item = LayerReport> + 'a {
    let jobs = layer_jobs(image).into_iter().map(move |job| {
        scan_layer(
            client,
            &image.reference,
            job.index,
            job.descriptor,
            job.diff_id,
            settings,
            progress,
        )
    });
    stream::iter(jobs).buffer_unordered(settings.concurrency.max(1))
}

/// Every layer's report (see [`layer_reports`]), in manifest order.
pub async fn scan_layers<F: Fetch, C: Fn() -> u64>(
    client: &Client<F, C>,
    image: &Image,
    settings: &ScanSettings,
    progress: &dyn Fn(Progress),
) -> Vec<LayerReport> {
    let mut reports: Vec<LayerReport> = layer_reports(client, image, settings, progress)
        .collect()
        .await;
    crate::sort::sort_by_key(&mut reports, |r| r.index);
    reports
}

/// The merged tree of the verified layers. Unverified layers contribute no
/// entries but keep their position, so layer numbers stay those of the
/// manifest.
pub fn merge_verified(reports: &[LayerReport]) -> MergedFs {
    let mut builder = MergeBuilder::new(MergeOptions::default());
    for r in reports {
        r.merge_into(&mut builder);
    }
    builder.finish()
}
