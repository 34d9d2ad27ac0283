//! What `tag`, `rm` and `prune` report on the images page: Docker's lines,
//! the layer indexes freed and kept, and the store writes.

use crate::app::msg::Effect;
use crate::app::state::State;
use crate::dockerfmt::human::human_size_decimal;
use crate::library::{short_id, Library, LibraryError, Removal};
use crate::oci::Digest;

use super::transitions::{fx, write};
use super::{LibraryEffect, Report};

/// The manifest digest of the image on screen, if any.
pub(super) fn shown_manifest(state: &State) -> Option<Digest> {
    let img = state.current.as_ref()?.image.as_ref()?;
    Some(img.manifest.verified.digest().clone())
}

/// The report lines for a removal: Docker's, then the layer indexes freed
/// and kept.
pub(super) fn removal_lines(catalog: &Library, removal: &Removal) -> Vec<String> {
    let mut lines = removal.lines();
    for l in &removal.freed_layers {
        lines.push(format!("Freed layer index {l}"));
    }
    for k in &removal.kept_layers {
        let users: Vec<String> = k.used_by.iter().map(short_id).collect();
        lines.push(format!(
            "Kept layer index {} (still used by {})",
            k.digest,
            users.join(", ")
        ));
    }
    if !removal.deleted_manifests.is_empty() {
        lines.push(format!(
            "Total reclaimed space: {} ({} freed in this browser's storage; {} left)",
            human_size_decimal(removal.reclaimed_content),
            human_size_decimal(removal.reclaimed_storage),
            human_size_decimal(catalog.stored_bytes())
        ));
    }
    lines
}

pub(super) fn report(
    state: &mut State,
    title: String,
    result: Result<(Vec<String>, Vec<crate::library::StoreOp>), LibraryError>,
) -> Vec<Effect> {
    match result {
        Ok((lines, ops)) => {
            state.library.report = Some(Report {
                title,
                lines,
                error: None,
            });
            let mut effects = write(state, ops);
            effects.push(fx(LibraryEffect::ReadClock));
            effects
        }
        Err(e) => {
            state.library.report = Some(Report {
                title,
                lines: Vec::new(),
                error: Some(e.to_string()),
            });
            Vec::new()
        }
    }
}
