//! `docker image rm` and `docker image prune` (moby
//! `daemon/images/image_delete.go`, `image_prune.go`, classic store).
//!
//! `rm NAME` removes the reference `NAME` (`:latest` by default); removing
//! the last tag of a repository also removes that repository's digest
//! references; the image is deleted when no reference is left. `rm ID`
//! deletes the image: when its references are one repository's (at most one
//! tag) they go with it, otherwise Docker refuses without `force`
//! (`conflict: unable to delete ID (must be forced) - image is referenced in
//! multiple repositories`). Deleting an image frees its blobs and the layer
//! indexes no other image uses; the report names the layers kept and who
//! keeps them.

use std::collections::{BTreeMap, BTreeSet};

use crate::dockerfmt::until::parse_until;
use crate::library::model::ImageRecord;
use crate::library::resolve::is_id_prefix;
use crate::library::{short_id, FilterError, Filters, Library, LibraryError, StoreOp};
use crate::oci::{Digest, Reference, Timestamp};

/// The filters `docker image prune` accepts.
pub const PRUNE_FILTERS: &[&str] = &["dangling", "label", "label!", "until"];

/// One line of Docker's output, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemovalEvent {
    /// `Untagged: NAME` (a tag or digest reference removed).
    Untagged(String),
    /// `Deleted: sha256:ID` (an image deleted).
    Deleted(Digest),
}

/// A layer index that stayed because other images still use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptLayer {
    /// The layer digest.
    pub digest: Digest,
    /// The IMAGE IDs of the images still using it.
    pub used_by: Vec<Digest>,
}

/// What `rm` or `prune` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Removal {
    /// Untagged and deleted, in Docker's order.
    pub events: Vec<RemovalEvent>,
    /// The manifest records deleted.
    pub deleted_manifests: Vec<Digest>,
    /// Layer indexes freed (no remaining image uses them).
    pub freed_layers: Vec<Digest>,
    /// Layer indexes of deleted images that stayed.
    pub kept_layers: Vec<KeptLayer>,
    /// Blobs (manifests, indexes, configs) freed.
    pub freed_blobs: Vec<Digest>,
    /// Docker's "reclaimed space": the content size of the freed layers.
    pub reclaimed_content: u64,
    /// Bytes freed in the store (blobs and layer indexes).
    pub reclaimed_storage: u64,
    /// The store writes to apply (records first, then content).
    pub ops: Vec<StoreOp>,
    deleted_records: Vec<ImageRecord>,
}

impl Removal {
    /// The references removed, in order.
    pub fn untagged(&self) -> impl Iterator<Item = &str> {
        self.events.iter().filter_map(|e| match e {
            RemovalEvent::Untagged(s) => Some(s.as_str()),
            RemovalEvent::Deleted(_) => None,
        })
    }

    /// The IMAGE IDs deleted, in order.
    pub fn deleted(&self) -> impl Iterator<Item = &Digest> {
        self.events.iter().filter_map(|e| match e {
            RemovalEvent::Deleted(d) => Some(d),
            RemovalEvent::Untagged(_) => None,
        })
    }

    /// Docker's output lines: `Untagged: NAME`, `Deleted: sha256:…`.
    pub fn lines(&self) -> Vec<String> {
        self.events
            .iter()
            .map(|e| match e {
                RemovalEvent::Untagged(s) => format!("Untagged: {s}"),
                RemovalEvent::Deleted(d) => format!("Deleted: {d}"),
            })
            .collect()
    }
}

/// Docker's `isSingleReference`: all references in one repository, at most
/// one of them a tag. False for none.
fn is_single_reference(refs: &[Reference]) -> bool {
    if refs.len() <= 1 {
        return refs.len() == 1;
    }
    let mut single: Option<&Reference> = None;
    let mut canonical = BTreeSet::new();
    for r in refs {
        if r.digest().is_some() {
            canonical.insert(r.name());
        } else if single.is_none() {
            single = Some(r);
        } else {
            return false;
        }
    }
    let single = single.unwrap_or(&refs[0]);
    canonical.len() == 1 && canonical.contains(&single.name())
}

impl Library {
    /// `docker image rm [--force] NAME_OR_ID` (see the module documentation).
    /// On error nothing has changed.
    pub fn rm(&mut self, target: &str, force: bool) -> Result<Removal, LibraryError> {
        let before = self.clone();
        let mut removal = Removal::default();
        self.rm_into(target, force, &mut removal)?;
        Ok(self.finish(removal, &before))
    }

    fn rm_into(
        &mut self,
        target: &str,
        force: bool,
        out: &mut Removal,
    ) -> Result<(), LibraryError> {
        let resolved = self.resolve(target)?;
        let group = self.images_with_id(&resolved.id);
        match resolved
            .reference
            .filter(|_| !is_id_prefix(&resolved.id, target))
        {
            Some(reference) => {
                self.remove_ref(&reference);
                out.events
                    .push(RemovalEvent::Untagged(reference.familiar_string()));
                if reference.digest().is_none() {
                    // The last tag of a repository takes its digest references along.
                    let refs = self.references_to(&group);
                    let tag_left = refs
                        .iter()
                        .any(|r| r.digest().is_none() && r.name() == reference.name());
                    if !tag_left {
                        for r in refs
                            .iter()
                            .filter(|r| r.digest().is_some() && r.name() == reference.name())
                        {
                            self.remove_ref(r);
                            out.events.push(RemovalEvent::Untagged(r.familiar_string()));
                        }
                    }
                }
                if self.references_to(&group).is_empty() {
                    self.delete_group(&group, out);
                }
            }
            None => {
                let refs = self.references_to(&group);
                if is_single_reference(&refs) {
                    for r in &refs {
                        self.remove_ref(r);
                        out.events.push(RemovalEvent::Untagged(r.familiar_string()));
                    }
                } else if !refs.is_empty() && !force {
                    return Err(LibraryError::Conflict {
                        id: short_id(&resolved.id),
                        reason: "image is referenced in multiple repositories".to_owned(),
                        hard: false,
                    });
                }
                self.delete_group(&group, out);
            }
        }
        Ok(())
    }

    /// Removes every reference to `group` and its records.
    fn delete_group(&mut self, group: &BTreeSet<Digest>, out: &mut Removal) {
        for r in self.references_to(group) {
            self.remove_ref(&r);
            out.events.push(RemovalEvent::Untagged(r.familiar_string()));
        }
        let mut ids = BTreeSet::new();
        for m in group {
            if let Some(record) = self.images.remove(m) {
                out.deleted_manifests.push(m.clone());
                if ids.insert(record.config.clone()) {
                    out.events
                        .push(RemovalEvent::Deleted(record.config.clone()));
                }
                out.deleted_records.push(record);
            }
        }
    }

    /// Frees what the deleted records used and no remaining image uses,
    /// and lists the store writes that bring the records of `before` to
    /// the library now.
    fn finish(&mut self, mut out: Removal, before: &Library) -> Removal {
        let mut blob_users: BTreeSet<&Digest> = BTreeSet::new();
        let mut layer_users: BTreeMap<&Digest, BTreeSet<Digest>> = BTreeMap::new();
        for r in self.images.values() {
            blob_users.extend(r.blob_digests());
            for l in &r.layers {
                layer_users
                    .entry(&l.digest)
                    .or_default()
                    .insert(r.config.clone());
            }
        }
        let mut blobs = BTreeSet::new();
        let mut layers = BTreeSet::new();
        for r in &out.deleted_records {
            blobs.extend(r.blob_digests().cloned());
            layers.extend(r.layers.iter().map(|l| l.digest.clone()));
        }
        let mut freed_blobs = Vec::new();
        for d in blobs {
            if !blob_users.contains(&d) {
                freed_blobs.push(d);
            }
        }
        let mut freed_layers = Vec::new();
        let mut kept = Vec::new();
        for d in layers {
            if !self.layers.contains_key(&d) {
                continue;
            }
            match layer_users.get(&d) {
                Some(users) => kept.push(KeptLayer {
                    digest: d,
                    used_by: users.iter().cloned().collect(),
                }),
                None => freed_layers.push(d),
            }
        }
        self.forget_content(&freed_blobs, &freed_layers, &mut out);
        out.ops = self.ops_since(before);
        out.freed_blobs = freed_blobs;
        out.freed_layers = freed_layers;
        out.kept_layers = kept;
        out.deleted_records.clear();
        out
    }

    /// Drops freed content from the catalogue, with the accounting.
    fn forget_content(&mut self, blobs: &[Digest], layers: &[Digest], out: &mut Removal) {
        for d in blobs {
            if let Some(b) = self.blobs.remove(d) {
                out.reclaimed_storage += b.size;
            }
        }
        for d in layers {
            if let Some(l) = self.layers.remove(d) {
                out.reclaimed_storage += l.stored_bytes;
                out.reclaimed_content += l.content_size;
            }
        }
    }

    /// `docker image prune [--all]`: deletes dangling images (no tag), or
    /// with `all` every image; images in `in_use` (matched by manifest,
    /// config or index digest: the ones open in the page) are kept.
    pub fn prune(
        &mut self,
        all: bool,
        in_use: &[Digest],
        now: Timestamp,
    ) -> Result<Removal, LibraryError> {
        let mut filters = Filters::new();
        if all {
            filters.add("dangling", "false");
        }
        self.prune_with(&filters, in_use, now)
    }

    /// `docker image prune --filter …`: `dangling=false` is `--all`;
    /// `until=TIME` keeps images created after TIME; `label=…` prunes only
    /// images with the labels, `label!=…` only images without them.
    pub fn prune_with(
        &mut self,
        filters: &Filters,
        in_use: &[Digest],
        now: Timestamp,
    ) -> Result<Removal, LibraryError> {
        filters.validate(PRUNE_FILTERS)?;
        let dangling_only = filters.bool_or_default("dangling", true)?;
        let mut untils = filters.get("until");
        let until = match (untils.next(), untils.next()) {
            (Some(_), Some(_)) => return Err(FilterError::MultipleUntil.into()),
            (Some(v), None) => {
                Some(parse_until(v, now).ok_or_else(|| FilterError::Until(v.to_owned()))?)
            }
            _ => None,
        };
        let before = self.clone();
        let in_use: BTreeSet<&Digest> = crate::sort::set_of(in_use);
        let ids: BTreeSet<Digest> =
            crate::sort::set_of(self.images.values().map(|r| r.config.clone()));
        let mut removal = Removal::default();
        for id in ids {
            let group = self.images_with_id(&id);
            let records: Vec<&ImageRecord> =
                group.iter().filter_map(|m| self.images.get(m)).collect();
            let Some(first) = records.first() else {
                continue;
            };
            if records
                .iter()
                .any(|r| r.blob_digests().any(|d| in_use.contains(d)))
            {
                continue;
            }
            if let Some(until) = until {
                if first.created.is_none_or(|c| c > until) {
                    continue;
                }
            }
            if filters.contains("label") && !filters.match_kv_list("label", &first.labels) {
                continue;
            }
            if filters.contains("label!") && filters.match_kv_list("label!", &first.labels) {
                continue;
            }
            let refs = self.references_to(&group);
            if refs.is_empty() {
                self.delete_group(&group, &mut removal);
                continue;
            }
            if dangling_only && !self.is_dangling(&id) {
                continue;
            }
            for r in refs {
                // A reference already removed with an earlier one is skipped,
                // as Docker skips failed deletions.
                let _ = self.rm_into(&r.to_string(), false, &mut removal);
            }
        }
        Ok(self.finish(removal, &before))
    }
}
