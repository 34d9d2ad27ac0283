//! Loads the conformance vectors kept in the repository (`tests/vectors/*.json`;
//! their sources and licences are in `tests/vectors/README.md`). A missing
//! file fails loudly rather than letting a vector test pass on no data.

use std::path::PathBuf;

/// The directory holding the vector files.
pub fn vectors_dir() -> PathBuf {
    crate::root().join("tests/vectors")
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
