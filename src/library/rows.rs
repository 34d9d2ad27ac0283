//! `docker image ls`'s client side (docker/cli `formatter/image.go`): one
//! row per repository and tag, a dangling image once as `<none> <none>`,
//! and the values each column prints.
//!
//! * an image with neither tags nor digest references is one `<none>
//!   <none>` row (DIGEST `<none>`);
//! * otherwise one row per tag of each repository; when digests are shown
//!   (`--digests` or a format using `{{.Digest}}`) a tag row repeats once per
//!   digest reference of the same repository, else DIGEST is `<none>`;
//! * a repository with digest references but no tag gets a `<none>` tag
//!   row (one per digest with `--digests`, else one with an empty DIGEST);
//! * repositories are listed alphabetically (Docker walks a Go map, so its
//!   order varies from run to run), tags in reference order.

use std::collections::BTreeMap;

use crate::dockerfmt::human::{created_since, go_time_string_utc, human_size_decimal, image_size};
use crate::library::{short_id, ImageSummary};
use crate::oci::{Digest, Reference, Timestamp};

/// One line of `docker image ls`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// REPOSITORY (familiar name or `<none>`).
    pub repository: String,
    /// TAG (or `<none>`).
    pub tag: String,
    /// DIGEST: the manifest digest the repository's digest reference names,
    /// `<none>`, or empty.
    pub digest: String,
    /// IMAGE ID (config digest).
    pub id: Digest,
    /// The manifest record the row is for (to open it).
    pub manifest: Digest,
    /// Creation time.
    pub created: Option<Timestamp>,
    /// Size in bytes.
    pub size: u64,
    /// Whether the image dangles ([`crate::library::Library::is_dangling`]):
    /// a `REPO <none>` row of an ID another row's tag names does not.
    pub dangling: bool,
}

/// The fields a `--format` template can use (docker/cli's image context).
pub const FIELDS: &[&str] = &[
    "ID",
    "Repository",
    "Tag",
    "Digest",
    "CreatedSince",
    "CreatedAt",
    "Size",
    "Containers",
    "VirtualSize",
    "SharedSize",
    "UniqueSize",
];

impl Row {
    /// IMAGE ID as printed: 12 hex characters, or `sha256:…` in full with
    /// `--no-trunc`.
    pub fn id_text(&self, trunc: bool) -> String {
        if trunc {
            short_id(&self.id)
        } else {
            self.id.to_string()
        }
    }

    /// `{{.CreatedSince}}`: "2 days ago"; an image without a creation time
    /// counts as created at the Unix epoch, as the API reports it (`0`).
    pub fn created_since(&self, now: Timestamp) -> String {
        created_since(self.created_or_epoch(), now)
    }

    /// `{{.CreatedAt}}`: `2024-05-01 12:00:00 +0000 UTC`.
    pub fn created_at(&self) -> String {
        go_time_string_utc(self.created_or_epoch().seconds())
    }

    /// `{{.Size}}`: `7.8MB`.
    pub fn size_text(&self) -> String {
        image_size(self.size)
    }

    fn created_or_epoch(&self) -> Timestamp {
        self.created.unwrap_or(Timestamp::from_unix(0, 0))
    }

    /// The value of a template field, `None` when there is no such field.
    pub fn field(&self, name: &str, now: Timestamp, trunc: bool) -> Option<String> {
        Some(match name {
            "ID" => self.id_text(trunc),
            "Repository" => self.repository.clone(),
            "Tag" => self.tag.clone(),
            "Digest" => self.digest.clone(),
            "CreatedSince" => self.created_since(now),
            "CreatedAt" => self.created_at(),
            "Size" => self.size_text(),
            "VirtualSize" => human_size_decimal(self.size),
            "Containers" | "SharedSize" | "UniqueSize" => "N/A".to_owned(),
            _ => return None,
        })
    }
}

/// The rows for `summaries`, in order. `need_digest` is docker/cli's
/// `needDigest` (`--digests` or `{{.Digest}}` in the format), `show_digests`
/// the `--digests` flag itself.
pub fn rows(summaries: &[ImageSummary], need_digest: bool, show_digests: bool) -> Vec<Row> {
    let mut out = Vec::new();
    for s in summaries {
        let row = |repository: &str, tag: &str, digest: &str| Row {
            repository: repository.to_owned(),
            tag: tag.to_owned(),
            digest: digest.to_owned(),
            id: s.id.clone(),
            manifest: s.manifest.clone(),
            created: s.created,
            size: s.size,
            dangling: s.dangling,
        };
        if s.repo_tags.is_empty() && s.repo_digests.is_empty() {
            out.push(row("<none>", "<none>", "<none>"));
            continue;
        }
        let mut tags: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for t in &s.repo_tags {
            if let Ok(r) = Reference::parse_normalized(t) {
                if let Some(tag) = r.tag() {
                    tags.entry(r.familiar_name())
                        .or_default()
                        .push(tag.to_owned());
                }
            }
        }
        let mut digests: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for d in &s.repo_digests {
            if let Ok(r) = Reference::parse_normalized(d) {
                if let Some(dg) = r.digest() {
                    digests
                        .entry(r.familiar_name())
                        .or_default()
                        .push(dg.to_string());
                }
            }
        }
        for (repo, repo_tags) in &tags {
            let repo_digests = digests.remove(repo).unwrap_or_default();
            for tag in repo_tags {
                if !need_digest || repo_digests.is_empty() {
                    out.push(row(repo, tag, "<none>"));
                } else {
                    for d in &repo_digests {
                        out.push(row(repo, tag, d));
                    }
                }
            }
        }
        for (repo, repo_digests) in &digests {
            if show_digests {
                for d in repo_digests {
                    out.push(row(repo, "<none>", d));
                }
            } else {
                out.push(row(repo, "<none>", ""));
            }
        }
    }
    out
}
