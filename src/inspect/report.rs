//! What `layerlens inspect` prints: the fields `docker image inspect` shows,
//! plus the platforms of an index, per-layer sizes and the verification
//! result of every object. Pure projection of a resolved [`Image`] and its
//! [`LayerReport`]s.

use serde_json::{json, Map, Value};

use crate::fs::human_size_binary;
use crate::inspect::{Image, LayerReport};
use crate::layer::EntryKind;

/// Bytes of regular-file content in a layer, as Docker sizes layers.
fn content_bytes(report: &LayerReport) -> u64 {
    report
        .entries()
        .iter()
        .filter(|e| e.kind == EntryKind::File)
        .map(|e| e.size)
        .sum()
}

fn tar_size(report: &LayerReport) -> Option<u64> {
    report.layer_index().map(|i| i.tar_size())
}

/// The verified config document as JSON (it was verified before parsing, so
/// re-reading it here trusts nothing new).
fn config_value(image: &Image) -> Value {
    image
        .config
        .as_ref()
        .and_then(|(bytes, _)| serde_json::from_slice::<Value>(bytes.bytes()).ok())
        .unwrap_or(Value::Null)
}

/// Whether the manifest, the config and every layer verified.
pub fn all_verified(reports: &[LayerReport]) -> bool {
    reports.iter().all(LayerReport::is_verified)
}

/// The `inspect --json` document: one object, Docker's field names first.
pub fn inspect_json(image: &Image, reports: &[LayerReport]) -> Value {
    let config = config_value(image);
    let familiar = image.reference.familiar_name();
    let repo_tags: Vec<String> = image
        .reference
        .tag()
        .map(|t| format!("{familiar}:{t}"))
        .into_iter()
        .collect();
    let repo_digests = vec![format!("{familiar}@{}", image.digest)];
    let c = image.image_config();
    let mut out = Map::new();
    out.insert(
        "Id".into(),
        c.map_or(Value::Null, |c| Value::String(c.digest().to_string())),
    );
    out.insert("RepoTags".into(), json!(repo_tags));
    out.insert("RepoDigests".into(), json!(repo_digests));
    out.insert("Created".into(), json!(c.and_then(|c| c.created())));
    out.insert(
        "Author".into(),
        json!(c.and_then(|c| c.author()).unwrap_or("")),
    );
    out.insert(
        "Config".into(),
        config.get("config").cloned().unwrap_or(Value::Null),
    );
    out.insert("Architecture".into(), json!(c.map(|c| c.architecture())));
    if let Some(v) = c.and_then(|c| c.variant()) {
        out.insert("Variant".into(), json!(v));
    }
    out.insert("Os".into(), json!(c.map(|c| c.os())));
    if let Some(v) = c.and_then(|c| c.os_version()) {
        out.insert("OsVersion".into(), json!(v));
    }
    out.insert(
        "Size".into(),
        json!(reports.iter().map(content_bytes).sum::<u64>()),
    );
    out.insert(
        "RootFS".into(),
        json!({
            "Type": "layers",
            "Layers": c.map(|c| c.diff_ids().iter().map(ToString::to_string).collect::<Vec<_>>()),
        }),
    );
    out.insert(
        "History".into(),
        config.get("history").cloned().unwrap_or(json!([])),
    );
    // layerlens additions.
    out.insert("Name".into(), json!(image.reference.name()));
    out.insert("Digest".into(), json!(image.digest.to_string()));
    out.insert(
        "MediaType".into(),
        json!(image
            .index
            .as_ref()
            .unwrap_or(&image.manifest)
            .document
            .media_type()
            .as_str()),
    );
    out.insert(
        "Platform".into(),
        json!(image.platform.as_ref().map(ToString::to_string)),
    );
    out.insert(
        "Platforms".into(),
        Value::Array(
            image
                .platforms
                .iter()
                .map(|p| {
                    json!({
                        "Platform": p.label,
                        "OsVersion": p.platform.os_version(),
                        "Digest": p.descriptor.digest().to_string(),
                        "Size": p.descriptor.size(),
                        "Chosen": p.descriptor.digest() == image.manifest.verified.digest(),
                    })
                })
                .collect(),
        ),
    );
    out.insert(
        "OtherIndexEntries".into(),
        Value::Array(
            image
                .other_entries
                .iter()
                .map(|d| {
                    json!({
                        "Digest": d.digest().to_string(),
                        "MediaType": d.media_type().as_str(),
                        "Annotations": d.annotations(),
                    })
                })
                .collect(),
        ),
    );
    let history = c.map(|c| c.history_steps()).unwrap_or_default();
    out.insert(
        "Layers".into(),
        Value::Array(
            reports
                .iter()
                .map(|r| {
                    let created_by = history
                        .iter()
                        .find(|s| s.layer == Some(r.index))
                        .and_then(|s| s.history.created_by());
                    json!({
                        "Index": r.index,
                        "Digest": r.descriptor.digest().to_string(),
                        "MediaType": r.descriptor.media_type().as_str(),
                        "Size": r.descriptor.size(),
                        "UncompressedSize": tar_size(r),
                        "ContentSize": content_bytes(r),
                        "DiffID": r.diff_id.as_ref().map(ToString::to_string),
                        "Files": r.entries().iter().filter(|e| e.kind != EntryKind::Directory).count(),
                        "CreatedBy": created_by,
                        "Verified": r.is_verified(),
                        "Problem": r.problem(),
                    })
                })
                .collect(),
        ),
    );
    out.insert(
        "Verification".into(),
        json!({
            "Manifest": image.manifest.verified.digest().to_string(),
            "Config": c.map(|c| c.digest().to_string()),
            "Index": image.index.as_ref().map(|i| i.verified.digest().to_string()),
            "AllVerified": all_verified(reports),
        }),
    );
    Value::Object(out)
}

/// A human summary of the same information.
pub fn inspect_text(image: &Image, reports: &[LayerReport]) -> String {
    let mut s = String::new();
    let c = image.image_config();
    let line = |s: &mut String, k: &str, v: &str| s.push_str(&format!("{k:<14}{v}\n"));
    line(&mut s, "Name", &image.reference.name());
    line(&mut s, "Digest", &image.digest.to_string());
    if let Some(c) = c {
        line(&mut s, "Id", &c.digest().to_string());
        line(&mut s, "Created", c.created().unwrap_or("-"));
        if let Some(a) = c.author() {
            line(&mut s, "Author", a);
        }
    }
    if let Some(p) = &image.platform {
        line(&mut s, "Platform", &p.to_string());
    }
    if !image.platforms.is_empty() {
        s.push_str("Platforms\n");
        for p in &image.platforms {
            let mark = if p.descriptor.digest() == image.manifest.verified.digest() {
                "*"
            } else {
                " "
            };
            s.push_str(&format!(
                "  {mark} {:<20} {}  {}\n",
                p.label,
                p.descriptor.digest(),
                human_size_binary(p.descriptor.size())
            ));
        }
    }
    let compressed: u64 = reports.iter().map(|r| r.descriptor.size()).sum();
    let content: u64 = reports.iter().map(content_bytes).sum();
    line(
        &mut s,
        "Size",
        &format!(
            "{} compressed, {} content",
            human_size_binary(compressed),
            human_size_binary(content)
        ),
    );
    s.push_str("Layers\n");
    for r in reports {
        let status = match r.problem() {
            None => "verified".to_string(),
            Some(p) => format!("NOT VERIFIED: {p}"),
        };
        s.push_str(&format!(
            "  {:>2} {}  {:>10}  {}\n",
            r.index,
            r.descriptor.digest(),
            human_size_binary(r.descriptor.size()),
            status
        ));
    }
    line(
        &mut s,
        "Verified",
        if all_verified(reports) {
            "yes: manifest, config and every layer"
        } else {
            "NO"
        },
    );
    s
}
