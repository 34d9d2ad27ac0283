//! `docker image ls`'s daemon side (moby `daemon/images/images.go`,
//! `Images`): which images are listed, with which names, in which order.
//!
//! * filters accepted: `dangling`, `label`, `before`, `since`, `reference`,
//!   `until`; anything else is `invalid filter 'NAME'`;
//! * `dangling=true` lists images without a tag (a digest reference alone
//!   does not count as a name) — by IMAGE ID: a manifest whose ID another
//!   manifest's tag names is not dangling ([`Library::is_dangling`]);
//!   `dangling=false` hides dangling images with no reference at all;
//! * `before=IMAGE` / `since=IMAGE` keep images created strictly before /
//!   after IMAGE (name, ID or ID prefix); several values keep the strictest
//!   (oldest `before`, newest `since`); `until=` is a `before` time; an image
//!   without a creation time is dropped by all three;
//! * `label=KEY` / `label=KEY=VALUE`: all must hold;
//! * `reference=PATTERN`: Go `path.Match` on the familiar reference, then on
//!   the familiar name; several patterns are ORed; references that match
//!   none are left out of the image's names, and an image left with no name
//!   is not listed;
//! * sorted by creation time, newest first (Docker compares whole seconds
//!   and leaves ties in no particular order; here ties go by IMAGE ID, then
//!   manifest digest, so the order is stable).

use std::collections::BTreeMap;

use crate::dockerfmt::until::parse_until;
use crate::library::{FilterError, Filters, Library, LibraryError};
use crate::oci::{Digest, Reference, Timestamp};

/// The filters `docker image ls` accepts.
pub const LIST_FILTERS: &[&str] = &["dangling", "label", "before", "since", "reference", "until"];

/// One image as `docker image ls` receives it from the daemon (the API's
/// `ImageSummary`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSummary {
    /// IMAGE ID: the config digest.
    pub id: Digest,
    /// The manifest record this summary is for.
    pub manifest: Digest,
    /// Familiar `name:tag` strings.
    pub repo_tags: Vec<String>,
    /// Familiar `name@digest` strings.
    pub repo_digests: Vec<String>,
    /// Creation time (the config's `created`).
    pub created: Option<Timestamp>,
    /// Size in bytes (see [`Library::image_size`]).
    pub size: u64,
    /// The config's labels.
    pub labels: BTreeMap<String, String>,
    /// No tag names this IMAGE ID ([`Library::is_dangling`]).
    pub dangling: bool,
}

impl Library {
    /// The images `docker image ls` would list with these filters. `now`
    /// is needed for `until=` durations.
    pub fn summaries(
        &self,
        filters: &Filters,
        now: Timestamp,
    ) -> Result<Vec<ImageSummary>, LibraryError> {
        filters.validate(LIST_FILTERS)?;
        let dangling_only = filters.bool_or_default("dangling", false)?;
        let mut before: Option<Timestamp> = None;
        for v in filters.get("before") {
            if let Some(c) = self.created_of(v)? {
                before = Some(before.map_or(c, |b| b.min(c)));
            }
        }
        for v in filters.get("until") {
            let t = parse_until(v, now).ok_or_else(|| FilterError::Until(v.to_owned()))?;
            before = Some(before.map_or(t, |b| b.min(t)));
        }
        let mut since: Option<Timestamp> = None;
        for v in filters.get("since") {
            if let Some(c) = self.created_of(v)? {
                since = Some(since.map_or(c, |s| s.max(c)));
            }
        }
        let patterns: Vec<&str> = filters.get("reference").collect();
        let all_tagged = !patterns.is_empty()
            && patterns
                .iter()
                .all(|p| Reference::parse_normalized(p).is_ok_and(|r| r.tag().is_some()));

        let tagged = self.tagged_ids();
        let mut out = Vec::new();
        for record in self.images.values() {
            let dangling = !tagged.contains(&record.config);
            if dangling_only && !dangling {
                continue;
            }
            if let Some(b) = before {
                if record.created.is_none_or(|c| c >= b) {
                    continue;
                }
            }
            if let Some(s) = since {
                if record.created.is_none_or(|c| c <= s) {
                    continue;
                }
            }
            if filters.contains("label") && !filters.match_kv_list("label", &record.labels) {
                continue;
            }
            let mut repo_tags = Vec::new();
            let mut repo_digests = Vec::new();
            let refs = self.references_to(&crate::sort::set_of([record.manifest.clone()]));
            for r in &refs {
                if !patterns.is_empty() && !matches_any(r, &patterns)? {
                    continue;
                }
                if r.digest().is_some() {
                    repo_digests.push(r.familiar_string());
                } else {
                    repo_tags.push(r.familiar_string());
                }
            }
            if repo_tags.is_empty() && all_tagged {
                repo_digests.clear();
            }
            if repo_tags.is_empty() && repo_digests.is_empty() {
                if filters.contains("dangling") && !dangling_only && dangling {
                    continue;
                }
                if filters.contains("reference") {
                    continue;
                }
            }
            out.push(ImageSummary {
                id: record.config.clone(),
                manifest: record.manifest.clone(),
                repo_tags,
                repo_digests,
                created: record.created,
                size: self.image_size(record),
                labels: record.labels.clone(),
                dangling,
            });
        }
        crate::sort::sort_by(&mut out, |a, b| {
            let secs = |s: &ImageSummary| s.created.map_or(0, |t| t.seconds());
            secs(b)
                .cmp(&secs(a))
                .then_with(|| a.id.cmp(&b.id))
                .then_with(|| a.manifest.cmp(&b.manifest))
        });
        Ok(out)
    }

    /// The creation time of the image `name` resolves to (for `before` and
    /// `since`); a name that resolves to nothing is Docker's `No such image`.
    fn created_of(&self, name: &str) -> Result<Option<Timestamp>, LibraryError> {
        let resolved = self.resolve(name)?;
        Ok(resolved
            .images
            .iter()
            .filter_map(|m| self.images.get(m))
            .find_map(|r| r.created))
    }
}

/// moby's reference filter for one reference: a `name:tag` pattern is
/// compared by name alone against digest references.
fn matches_any(r: &Reference, patterns: &[&str]) -> Result<bool, FilterError> {
    for p in patterns {
        let mut query = (*p).to_owned();
        if r.digest().is_some() {
            if let Ok(named) = Reference::parse_normalized(p) {
                if named.tag().is_some() {
                    query = named.familiar_name();
                }
            }
        }
        if r.familiar_match(&query)
            .map_err(|_| FilterError::BadPattern((*p).to_owned()))?
        {
            return Ok(true);
        }
    }
    Ok(false)
}
