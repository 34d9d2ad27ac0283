//! An eStargz writer from the format description (containerd's
//! stargz-snapshotter, `docs/estargz.md`), independent of the reader under
//! test: each file's content in a gzip member of its own, the table of contents
//! (`stargz.index.json`, CRFS JSON) as the last tar entry in its own member,
//! then the 51-byte footer naming the table's offset.

use crate::tar::{gzip, sha256_hex, Flavour, Member, TarBuilder};
use serde_json::{json, Value};

/// A written eStargz blob.
pub struct Estargz {
    /// The blob.
    pub blob: Vec<u8>,
    /// The digest of the table of contents' JSON (the descriptor's
    /// `containerd.io/snapshot/stargz/toc.digest`).
    pub toc_digest: String,
    /// The table's offset in the blob.
    pub toc_offset: u64,
}

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", sha256_hex(bytes))
}

/// One member's tar bytes (headers, data, padding; no end marker).
fn tar_of(member: &Member) -> Vec<u8> {
    let mut tar = TarBuilder::new(Flavour::Pax);
    tar.member(member);
    let mut bytes = tar.finish();
    bytes.truncate(bytes.len() - 1024);
    bytes
}

fn kind(typeflag: u8) -> &'static str {
    match typeflag {
        b'0' => "reg",
        b'5' => "dir",
        b'2' => "symlink",
        b'1' => "hardlink",
        b'3' => "char",
        b'4' => "block",
        b'6' => "fifo",
        other => panic!("no TOC type for typeflag {other}"),
    }
}

/// The eStargz blob of `members`, laid out as the stargz-snapshotter's
/// writer lays it: a regular file's content starts a gzip member of its
/// own (its `offset` in the table), and the tar headers of the entries
/// after it go on in that member until the next file's content.
pub fn estargz(members: &[Member]) -> Estargz {
    let mut blob = Vec::new();
    let mut entries = Vec::new();
    // The tar bytes of the member being written.
    let mut pending: Vec<u8> = Vec::new();
    for m in members {
        let tar = tar_of(m);
        let mut offset = None;
        if m.typeflag == b'0' && !m.data.is_empty() {
            let body = m.data.len().div_ceil(512) * 512;
            let (head, body) = tar.split_at(tar.len() - body);
            pending.extend_from_slice(head);
            blob.extend_from_slice(&gzip(&pending));
            offset = Some(blob.len());
            pending = body.to_vec();
        } else {
            pending.extend_from_slice(&tar);
        }
        let modtime = layerlens::oci::Timestamp::from_unix(m.mtime, 0).to_string();
        let mut e = json!({
            "name": String::from_utf8_lossy(&m.name),
            "type": kind(m.typeflag),
            "mode": m.mode,
            "uid": m.uid,
            "gid": m.gid,
            "userName": String::from_utf8_lossy(&m.uname),
            "groupName": String::from_utf8_lossy(&m.gname),
            "modtime": modtime,
        });
        if !m.link.is_empty() {
            e["linkName"] = Value::from(String::from_utf8_lossy(&m.link).into_owned());
        }
        if m.typeflag == b'0' {
            e["size"] = Value::from(m.data.len());
            e["digest"] = Value::from(sha256(&m.data));
            if let Some(offset) = offset {
                e["offset"] = Value::from(offset);
                e["chunkDigest"] = Value::from(sha256(&m.data));
            }
        }
        entries.push(e);
    }
    if !pending.is_empty() {
        blob.extend_from_slice(&gzip(&pending));
    }
    let toc = serde_json::to_vec(&json!({"version": 1, "entries": entries})).expect("JSON");
    let toc_offset = blob.len() as u64;
    let mut toc_tar = TarBuilder::new(Flavour::Pax);
    toc_tar.member(&Member::file(b"stargz.index.json", &toc));
    blob.extend_from_slice(&gzip(&toc_tar.finish()));
    // The footer: an empty gzip member whose extra field names the offset.
    let mut footer = vec![0x1f, 0x8b, 0x08, 0x04, 0, 0, 0, 0, 0, 0xff];
    footer.extend_from_slice(&26u16.to_le_bytes());
    footer.extend_from_slice(b"SG");
    footer.extend_from_slice(&22u16.to_le_bytes());
    footer.extend_from_slice(format!("{toc_offset:016x}STARGZ").as_bytes());
    footer.extend_from_slice(&[0x01, 0x00, 0x00, 0xff, 0xff]);
    footer.extend_from_slice(&[0; 8]);
    assert_eq!(footer.len(), 51);
    blob.extend_from_slice(&footer);
    Estargz {
        blob,
        toc_digest: sha256(&toc),
        toc_offset,
    }
}
