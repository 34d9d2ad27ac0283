//! Finds and loads the shared conformance vectors (`shared/vectors/*.json`).
//!
//! The repository is checked out next to `shared/` (`$CARGO_MANIFEST_DIR/../shared`);
//! a git worktree under `wt/NAME` sits one level deeper
//! (`$CARGO_MANIFEST_DIR/../../shared`). Anything else is a broken checkout, so
//! this fails loudly rather than letting a vector test pass on no data.
//!
//! Include it from a test crate with
//! `#[path = "support/vectors.rs"] mod vectors;`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The directory holding the vector files.
pub fn vectors_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        manifest.join("../shared/vectors"),
        manifest.join("../../shared/vectors"),
    ];
    for dir in &candidates {
        if dir.is_dir() {
            return dir.clone();
        }
    }
    panic!(
        "conformance vectors not found; looked in {:?}. The repository must be checked out next to `shared/`.",
        candidates
    );
}

/// Parses the vector file `NAME` (e.g. `go-digest.json`).
pub fn load(name: &str) -> serde_json::Value {
    let path = vectors_dir().join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

/// The `cases` array of a vector file, checked against its `count` field so a
/// truncated file cannot pass silently.
pub fn cases(file: &serde_json::Value) -> &[serde_json::Value] {
    let cases = file["cases"]
        .as_array()
        .expect("vector file has a `cases` array");
    if let Some(count) = file["count"].as_u64() {
        assert_eq!(cases.len() as u64, count, "case count differs from `count`");
    }
    cases
}
