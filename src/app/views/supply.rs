//! The "Supply chain" tab: the signatures, SBOMs and provenance attached to
//! the image, each with where it was found and what it is about; an SBOM's
//! packages (searchable) and its files checked against the merged tree; and,
//! for the file selected in the tree, the packages SBOMs say own it.
//!
//! Everything here is outside text: the shell draws it as text nodes.

use std::rc::Rc;

use crate::fs::human_size_binary;
use crate::supply::{
    AttachedDocument, Attachment, Content, FileStatus, FilesSummary, FoundBy, Package, Sbom,
    Signature, SlsaVersion, SupplyError,
};

use super::super::state::State;
use super::super::supply::{current, SupplyFound, SupplyStatus, PAGE_MAX_DOCUMENT_BYTES};
use super::raw::{digest_target, pretty, RawSpan};

/// The most packages drawn for one SBOM (the search narrows them).
pub const MAX_PACKAGES_SHOWN: usize = 500;
/// The most files drawn for one SBOM (mismatches first).
pub const MAX_FILES_SHOWN: usize = 500;

/// What a document is, where it came from and what it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocHead {
    /// The attachment's position.
    pub attachment: usize,
    /// The document's position in it (`None`: the attachment itself).
    pub document: Option<usize>,
    /// The document's digest.
    pub digest: String,
    /// Its media type, and the in-toto predicate type when it has one.
    pub kind: String,
    /// Its size, in words.
    pub size: String,
    /// Where it was found ("cosign tag sha256-….sig", "referrers API").
    pub found: String,
    /// Which of the image's digests it is attached to ("the index …").
    pub subject: String,
    /// For an in-toto statement: whether its subjects name that digest.
    pub about_this: Option<bool>,
    /// Whether its bytes can be saved and shown raw.
    pub has_bytes: bool,
}

/// A signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureRow {
    /// The document.
    pub head: DocHead,
    /// The digest the payload says it signs.
    pub signed: String,
    /// Whether that is the image's digest.
    pub digest_matches: bool,
    /// The repository the payload names, and whether it is this one.
    pub reference: Option<(String, Option<bool>)>,
    /// The verdict in one line ("present and bound…; not cryptographically verified…").
    pub verdict: String,
    /// The signature bytes, base64 as stored, shortened.
    pub signature: Option<String>,
    /// The signing certificate (PEM), when present.
    pub certificate: Option<String>,
    /// Whether a transparency-log bundle is attached.
    pub bundle: bool,
}

/// A package of an SBOM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageRow {
    /// The name.
    pub name: String,
    /// The version ("" when none).
    pub version: String,
    /// Licences, comma-separated.
    pub licenses: String,
    /// Package URLs.
    pub purls: Vec<String>,
}

/// A file an SBOM lists, and what the image holds there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRow {
    /// The path as the SBOM writes it.
    pub path: String,
    /// `ok`, `DIFFERS`, `missing`, `outside`… (`data-file-check`).
    pub status: &'static str,
    /// What the check found, in words.
    pub detail: String,
    /// The tree path to reveal, when the image has it.
    pub reveal: Option<Vec<u8>>,
}

/// An SBOM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SbomView {
    /// The document.
    pub head: DocHead,
    /// "SPDX 2.3", "CycloneDX 1.5".
    pub format: String,
    /// The document's name.
    pub name: Option<String>,
    /// Packages in the SBOM.
    pub packages_total: usize,
    /// Packages matching the search.
    pub packages_matching: usize,
    /// Those drawn (at most [`MAX_PACKAGES_SHOWN`]).
    pub packages: Vec<PackageRow>,
    /// The files check in one line.
    pub files_summary: String,
    /// Files drawn (at most [`MAX_FILES_SHOWN`], problems first).
    pub files: Vec<FileRow>,
    /// Files listed in all.
    pub files_total: usize,
}

/// Provenance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvenanceView {
    /// The document.
    pub head: DocHead,
    /// "SLSA v0.2", "SLSA v1".
    pub version: &'static str,
    /// Named facts: builder, build type, source, commit.
    pub facts: Vec<(&'static str, String)>,
    /// Materials: URI and digests.
    pub materials: Vec<(String, String)>,
}

/// Anything else attached: a statement of another type, a type not read,
/// a document that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherRow {
    /// The document.
    pub head: DocHead,
    /// What it is, or why it was not read.
    pub note: String,
    /// Whether that is a failure.
    pub failed: bool,
}

/// A raw document shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupplyRaw {
    /// Which (attachment, document).
    pub which: (usize, Option<usize>),
    /// Its lines, digests marked.
    pub lines: Vec<Vec<RawSpan>>,
    /// Lines left out.
    pub omitted: usize,
}

/// The tab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupplyView {
    /// `none` (no image), `looking`, `done` (`data-supply-status`).
    pub status: &'static str,
    /// What was found, in one line.
    pub summary: String,
    /// The signatures.
    pub signatures: Vec<SignatureRow>,
    /// The SBOMs.
    pub sboms: Vec<SbomView>,
    /// The provenance documents.
    pub provenance: Vec<ProvenanceView>,
    /// The rest.
    pub others: Vec<OtherRow>,
    /// Found and refused as not this image's, with why.
    pub rejected: Vec<String>,
    /// Places that could not be looked in.
    pub problems: Vec<String>,
    /// The raw document shown, if any.
    pub raw: Option<SupplyRaw>,
    /// The package search.
    pub query: String,
}

/// What the tab depends on, compared by identity: recomputed only when the
/// attachments, the tree, the search or the raw document change.
#[derive(Debug, Clone)]
pub struct SupplyKey(
    Option<Rc<SupplyFound>>,
    bool,
    usize,
    String,
    Option<(usize, Option<usize>)>,
);

impl PartialEq for SupplyKey {
    fn eq(&self, o: &SupplyKey) -> bool {
        let same = match (&self.0, &o.0) {
            (Some(a), Some(b)) => Rc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        same && self.1 == o.1 && self.2 == o.2 && self.3 == o.3 && self.4 == o.4
    }
}

/// The key of [`supply`].
pub fn supply_key(state: &State) -> SupplyKey {
    let cur = state.current.as_ref();
    let fs = cur.and_then(|c| c.fs.as_ref());
    SupplyKey(
        current(state).cloned(),
        matches!(cur.map(|c| &c.supply), Some(SupplyStatus::Looking)),
        fs.map_or(0, |f| Rc::as_ptr(f) as usize),
        state.supply.query.clone(),
        state.supply.raw,
    )
}

fn found_where(a: &Attachment) -> String {
    match (&a.tag, a.found) {
        (Some(tag), FoundBy::CosignTag | FoundBy::TagFallback) => {
            format!("{} {tag}", a.found.describe())
        }
        _ => a.found.describe().to_owned(),
    }
}

fn head(state: &State, a: &Attachment, i: usize, d: Option<(usize, &AttachedDocument)>) -> DocHead {
    let img = state.current.as_ref().and_then(|c| c.image.as_ref());
    let what = match img {
        Some(img) if img.index.as_ref().map(|x| x.verified.digest()) == Some(&a.subject) => {
            "the index"
        }
        _ => "the platform manifest",
    };
    let (digest, kind, size, about_this, has_bytes) = match d {
        None => (
            &a.digest,
            a.artifact_type.as_str().to_owned(),
            a.manifest.len() as u64,
            None,
            !a.manifest.is_empty(),
        ),
        Some((_, doc)) => {
            let mut kind = doc.descriptor.media_type().as_str().to_owned();
            if let Some(p) = &doc.predicate_type {
                kind.push_str(&format!(" ({p})"));
            }
            let about = doc
                .content
                .as_ref()
                .ok()
                .and_then(Content::statement)
                .map(|s| s.names(&a.subject));
            (
                doc.descriptor.digest(),
                kind,
                doc.descriptor.size(),
                about,
                doc.bytes.is_some(),
            )
        }
    };
    DocHead {
        attachment: i,
        document: d.map(|(j, _)| j),
        digest: digest.to_string(),
        kind,
        size: size_words(size),
        found: found_where(a),
        subject: format!("{what} {}", a.subject),
        about_this,
        has_bytes,
    }
}

/// A size as the page says it: bytes below a KiB, binary units above.
fn size_words(n: u64) -> String {
    if n < 1024 {
        format!("{n} bytes")
    } else {
        human_size_binary(n)
    }
}

fn signature_row(head: DocHead, s: &Signature) -> SignatureRow {
    let signature = s.signature.as_ref().map(|b| {
        let hex: String = b.iter().take(24).map(|x| format!("{x:02x}")).collect();
        format!(
            "{hex}{} ({} bytes)",
            if b.len() > 24 { "…" } else { "" },
            b.len()
        )
    });
    SignatureRow {
        head,
        signed: s.signed_digest.to_string(),
        digest_matches: s.digest_matches,
        reference: s.docker_reference.clone().map(|r| (r, s.reference_matches)),
        verdict: s.verdict(),
        signature,
        certificate: s.certificate.clone(),
        bundle: s.has_bundle,
    }
}

fn package_row(p: &Package) -> PackageRow {
    PackageRow {
        name: p.name.clone(),
        version: p.version.clone().unwrap_or_default(),
        licenses: p.licenses.join(", "),
        purls: p.purls.clone(),
    }
}

fn matches(p: &Package, q: &str) -> bool {
    let has = |s: &str| s.to_lowercase().contains(q);
    q.is_empty()
        || has(&p.name)
        || p.version.as_deref().is_some_and(has)
        || p.licenses.iter().any(|l| has(l))
        || p.purls.iter().any(|u| has(u))
}

fn sbom_view(state: &State, head: DocHead, sbom: &Sbom) -> SbomView {
    let q = state.supply.query.trim().to_lowercase();
    let matching: Vec<&Package> = sbom.packages.iter().filter(|p| matches(p, &q)).collect();
    let cur = state.current.as_ref();
    let checks = cur
        .and_then(|c| c.supply_checks.as_ref())
        .and_then(|c| c.of_document(head.attachment, head.document?));
    let (files, files_summary) = match checks {
        None if !sbom.files.is_empty() => (
            Vec::new(),
            "The files are checked against the image once its layers are in.".to_owned(),
        ),
        None => (Vec::new(), String::new()),
        Some(checks) => {
            let s = FilesSummary::of(checks);
            let rows = checks
                .iter()
                .take(MAX_FILES_SHOWN)
                .filter_map(|c| {
                    let f = sbom.files.get(c.file)?;
                    let detail = match &c.status {
                        FileStatus::Matches => "SHA-256 matches the image's file".to_owned(),
                        FileStatus::Differs { sbom, image } => {
                            format!("the SBOM says sha256:{sbom}, the image holds sha256:{image}")
                        }
                        FileStatus::NoSha256 => "no SHA-256 in the SBOM to compare".to_owned(),
                        FileStatus::NotHashed => {
                            "in the image, not hashed (listed from a table of contents)".to_owned()
                        }
                        FileStatus::NotAFile => "in the image, but not a regular file".to_owned(),
                        FileStatus::Missing => "not in the image".to_owned(),
                        FileStatus::Outside => {
                            "climbs out of the root: names nothing in any image".to_owned()
                        }
                    };
                    let reveal = c
                        .node
                        .is_some()
                        .then(|| crate::supply::normalise_path(&f.path))
                        .flatten();
                    Some(FileRow {
                        path: f.path.clone(),
                        status: c.status.word(),
                        detail,
                        reveal,
                    })
                })
                .collect();
            let line = format!(
                "{} files listed: {} match, {} differ, {} not compared, {} missing, {} outside the root",
                sbom.files.len(),
                s.matches,
                s.differs,
                s.unchecked,
                s.missing,
                s.outside
            );
            (rows, line)
        }
    };
    SbomView {
        head,
        format: sbom.format.to_string(),
        name: sbom.name.clone(),
        packages_total: sbom.packages.len(),
        packages_matching: matching.len(),
        packages: matching
            .into_iter()
            .take(MAX_PACKAGES_SHOWN)
            .map(package_row)
            .collect(),
        files_summary,
        files,
        files_total: sbom.files.len(),
    }
}

fn provenance_view(head: DocHead, p: &crate::supply::Provenance) -> ProvenanceView {
    let mut facts = Vec::new();
    if let Some(b) = &p.builder {
        facts.push(("Builder", b.clone()));
    }
    if let Some(t) = &p.build_type {
        facts.push(("Build type", t.clone()));
    }
    if let Some(s) = &p.source {
        facts.push(("Source", s.repository.clone()));
        if let Some(c) = &s.commit {
            facts.push(("Commit", c.clone()));
        }
    }
    ProvenanceView {
        head,
        version: match p.version {
            SlsaVersion::V0_2 => "SLSA v0.2",
            SlsaVersion::V1 => "SLSA v1",
        },
        facts,
        materials: p
            .materials
            .iter()
            .map(|m| {
                let d = m
                    .digest
                    .iter()
                    .map(|(k, v)| format!("{k}:{v}"))
                    .collect::<Vec<_>>()
                    .join(" ");
                (m.uri.clone(), d)
            })
            .collect(),
    }
}

fn failure(e: &SupplyError) -> String {
    match e {
        SupplyError::TooLarge { size, .. } => format!(
            "{e}. The page reads documents of up to {}; `layerlens referrers REF --json` reads \
             larger ones ({} here).",
            human_size_binary(PAGE_MAX_DOCUMENT_BYTES as u64),
            human_size_binary(*size)
        ),
        _ => e.to_string(),
    }
}

/// The tab's content.
pub fn supply(state: &State) -> SupplyView {
    let status = match state.current.as_ref().map(|c| &c.supply) {
        Some(SupplyStatus::Found(_)) => "done",
        Some(SupplyStatus::Looking) => "looking",
        _ => "none",
    };
    let mut v = SupplyView {
        status,
        summary: String::new(),
        signatures: Vec::new(),
        sboms: Vec::new(),
        provenance: Vec::new(),
        others: Vec::new(),
        rejected: Vec::new(),
        problems: Vec::new(),
        raw: None,
        query: state.supply.query.clone(),
    };
    let Some(found) = current(state) else {
        return v;
    };
    let d = &found.discovery;
    for (i, a) in d.attachments.iter().enumerate() {
        let docs = found.documents.get(i).map_or(&[][..], |x| &x[..]);
        if docs.is_empty() {
            v.others.push(OtherRow {
                head: head(state, a, i, None),
                note: format!("{} with no documents", a.media_type.as_str()),
                failed: false,
            });
        }
        for (j, doc) in docs.iter().enumerate() {
            let h = head(state, a, i, Some((j, doc)));
            match &doc.content {
                Ok(Content::Signature(s)) => v.signatures.push(signature_row(h, s)),
                Ok(Content::Sbom { sbom, .. }) => v.sboms.push(sbom_view(state, h, sbom)),
                Ok(Content::Provenance { provenance, .. }) => {
                    v.provenance.push(provenance_view(h, provenance))
                }
                Ok(Content::Statement(s)) => v.others.push(OtherRow {
                    head: h,
                    note: format!("an in-toto statement of {}, not read", s.predicate_type),
                    failed: false,
                }),
                Ok(Content::NotRead(mt)) => v.others.push(OtherRow {
                    head: h,
                    note: format!("{}: a type layerlens does not read", mt.as_str()),
                    failed: false,
                }),
                Err(e) => v.others.push(OtherRow {
                    head: h,
                    note: failure(e),
                    failed: true,
                }),
            }
        }
    }
    v.rejected = d
        .rejected
        .iter()
        .map(|r| {
            format!(
                "{} (found by {} for {}): {}",
                r.digest,
                r.found.describe(),
                r.listed_for,
                r.reason
            )
        })
        .collect();
    v.problems = d.problems.iter().map(ToString::to_string).collect();
    v.summary = summary_line(&v, d.attachments.len());
    if let Some((a, doc)) = state.supply.raw {
        let bytes = d.attachments.get(a).and_then(|att| match doc {
            None => Some(&att.manifest[..]),
            Some(j) => found.documents.get(a)?.get(j)?.bytes.as_deref(),
        });
        if let Some(bytes) = bytes {
            let (lines, omitted) = pretty(bytes, &|t| digest_target(state, t));
            v.raw = Some(SupplyRaw {
                which: (a, doc),
                lines,
                omitted,
            });
        }
    }
    v
}

fn summary_line(v: &SupplyView, attachments: usize) -> String {
    if attachments == 0 {
        return "Nothing is attached to this image: no signature, SBOM or provenance was found \
                by the referrers API, its tag fallback, cosign's tags or the index's \
                attestations."
            .to_owned();
    }
    let count =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut parts = vec![
        count(v.signatures.len(), "signature", "signatures"),
        count(v.sboms.len(), "SBOM", "SBOMs"),
        count(
            v.provenance.len(),
            "provenance document",
            "provenance documents",
        ),
    ];
    if !v.others.is_empty() {
        parts.push(count(v.others.len(), "other document", "other documents"));
    }
    let mut line = format!(
        "{}: {}",
        count(attachments, "attachment", "attachments"),
        parts.join(", ")
    );
    if !v.rejected.is_empty() {
        line.push_str(&format!(
            "; {} found but not this image's",
            v.rejected.len()
        ));
    }
    line
}

/// The packages the SBOMs say own the file at `path` (root-relative), as
/// "name version (SPDX 2.3 SBOM)"; empty when none says.
pub fn owners(state: &State, path: &[u8]) -> Vec<String> {
    let Some(found) = current(state) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for doc in found.documents.iter().flatten() {
        if let Ok(Content::Sbom { sbom, .. }) = &doc.content {
            for p in sbom.owners(path) {
                let version = p
                    .version
                    .as_deref()
                    .map(|v| format!(" {v}"))
                    .unwrap_or_default();
                let line = format!("{}{version} ({} SBOM)", p.name, sbom.format);
                if !out.contains(&line) {
                    out.push(line);
                }
            }
        }
    }
    out
}
