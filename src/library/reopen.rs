//! Turning an image read back from the store into what the resolve and scan
//! flows produce ([`Image`] and one [`LayerReport`] per layer), so the page
//! shows a reopened image with the same code as a freshly inspected one —
//! without a network request.
//!
//! Nothing is trusted for being in the store: the documents were verified
//! against their digests by [`crate::library::load_image`], and each layer
//! index is checked here against the manifest's descriptor (digest and size)
//! and the config's `rootfs.diff_ids` entry by [`LayerReport::scanned`], as
//! a scanned layer is.

use crate::inspect::{index_entries, Image, LayerFailure, LayerOutcome, LayerReport};
use crate::library::StoredImage;
use crate::oci::{parse_document, Document, Reference};
use crate::registry::client::FetchedManifest;

impl StoredImage {
    /// The image and its layer reports, as a load would have produced them.
    /// `reference` is the name the page shows it under (a tag pointing at
    /// it, or `name@digest`). A layer whose index is unavailable or does not
    /// match the manifest is reported as failed with the reason; the others
    /// are usable.
    pub fn into_inspect(self, reference: Reference) -> (Image, Vec<LayerReport>) {
        let (manifest_bytes, manifest_doc) = &self.manifest;
        let manifest = FetchedManifest {
            verified: manifest_bytes.clone(),
            document: Document::Manifest(manifest_doc.clone()),
            content_type: Some(manifest_doc.media_type().clone()),
        };
        // The index was verified against its digest when read back; one
        // that no longer parses as an index is left out (the platform list
        // is a convenience, the image itself is complete without it).
        let index = self
            .index
            .as_ref()
            .and_then(|v| match parse_document(v, None) {
                Ok(doc @ Document::Index(_)) => Some(FetchedManifest {
                    verified: v.clone(),
                    document: doc,
                    content_type: None,
                }),
                _ => None,
            });
        let (choices, others) = match index.as_ref().map(|i| &i.document) {
            Some(Document::Index(idx)) => index_entries(idx),
            _ => (Vec::new(), Vec::new()),
        };
        let digest = index
            .as_ref()
            .map_or(manifest_bytes.digest(), |i| i.verified.digest())
            .clone();
        let image = Image {
            reference,
            digest,
            index,
            platforms: choices,
            other_entries: others,
            platform: self
                .record
                .platform()
                .cloned()
                .or_else(|| Some(self.config.1.platform())),
            manifest,
            config: Some(self.config.clone()),
        };
        let diff_ids = self.config.1.diff_ids();
        let mut stored = self.layers.into_iter();
        let reports = manifest_doc
            .layers()
            .iter()
            .enumerate()
            .map(|(i, descriptor)| {
                let diff_id = diff_ids.get(i).cloned();
                let outcome = match stored.next() {
                    Some(Ok(ix)) => {
                        return LayerReport::scanned(i, descriptor.clone(), diff_id, ix);
                    }
                    Some(Err(reason)) => LayerOutcome::Failed {
                        failure: LayerFailure::NotInLibrary {
                            reason: Some(reason),
                        },
                        entries: Vec::new(),
                        mismatch: None,
                    },
                    None => LayerOutcome::Failed {
                        failure: LayerFailure::NotInLibrary { reason: None },
                        entries: Vec::new(),
                        mismatch: None,
                    },
                };
                LayerReport {
                    index: i,
                    descriptor: descriptor.clone(),
                    diff_id,
                    outcome,
                }
            })
            .collect();
        (image, reports)
    }
}
