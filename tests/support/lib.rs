//! The integration tests' support, one crate (`layerlens-testkit`, a dev-dependency of
//! `layerlens`): a test reaches any part with `use layerlens_testkit::…`, and the crate is
//! compiled once for every test binary and the scan benchmark.
//!
//! * [`registry`] — the real CNCF distribution registry, its token realm, and an
//!   independent client that pushes images built in code.
//! * [`proxy`] — `layerlens serve` as a child process, and [`proxy::Upstream`], the one
//!   loopback HTTP server for scripted upstreams.
//! * [`tar`] — the independent tar/gzip/zstd writer and the layer-scan drivers.
//! * [`app`], [`fs`], [`library`] — fixtures for the page state machine, the merged tree
//!   and the image library.
//! * [`e2e`], [`hub`], [`nginx`], [`png`] — the browser harness, a Docker Hub search
//!   stand-in, a real nginx cache, PNG checks.
//! * [`vectors`], [`oci_docs`] — the conformance vectors in `tests/vectors/` and OCI JSON.
//! * [`rng`] — the one seeded generator of the property tests.
//! * [`supply`] — SBOM, in-toto, provenance and signature documents, and OCI artifacts.

pub mod app;
pub mod e2e;
pub mod estargz;
pub mod fs;
pub mod http;
pub mod hub;
pub mod library;
pub mod nginx;
pub mod oci_docs;
pub mod png;
pub mod proxy;
pub mod registry;
pub mod rng;
pub mod supply;
pub mod tar;
pub mod vectors;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// The repository's root (where `dist/`, `scripts/` and `tests/` are).
pub fn root() -> PathBuf {
    // This crate lives in `tests/support/` of the repository.
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Bytes no earlier run on this machine has made (the time in nanoseconds,
/// the process and a counter). skopeo's blob-info cache
/// (`/var/lib/containers/cache/blob-info-cache-v1.boltdb`, shared by every
/// run as root) remembers each blob it has pushed and where, and silently
/// reuses one instead of recompressing: a layer that carries these bytes
/// is one it has never seen, so `--dest-compress-format` really applies.
pub fn never_seen() -> Vec<u8> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{nanos}.{}.{}\n",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    )
    .into_bytes()
}

/// skopeo (Debian package `skopeo`) with no policy file, no credentials and
/// no config of the host; fails the test, with skopeo's words, unless it
/// succeeds.
pub fn skopeo(args: &[&str]) -> Output {
    let out = Command::new("skopeo")
        .arg("--insecure-policy")
        .args(args)
        .env("REGISTRY_AUTH_FILE", "/nonexistent/auth.json")
        .stdin(Stdio::null())
        .output()
        .expect("skopeo (Debian package skopeo)");
    assert!(
        out.status.success(),
        "skopeo {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The `layerlens` binary cargo built for this test run: next to the `deps/` directory
/// that holds the running test (or benchmark) executable. (`CARGO_BIN_EXE_layerlens`
/// is only given to the package's own test targets, not to this crate.)
pub fn layerlens_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("the running test's path");
    let dir = exe.parent().expect("the test's directory");
    let dir = if dir.ends_with("deps") {
        dir.parent().unwrap_or(dir)
    } else {
        dir
    };
    let bin = dir.join(format!("layerlens{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.is_file(),
        "{} is missing: run the tests through `cargo test`",
        bin.display()
    );
    bin
}

/// What a `layerlens` run printed and how it ended.
pub struct Run {
    /// The exit status (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// Runs the `layerlens` binary with `args`, no input, and no Docker credentials store
/// (`DOCKER_CONFIG` points nowhere), as a user would from a shell.
pub fn layerlens(args: &[&str]) -> Run {
    let out = Command::new(layerlens_bin())
        .args(args)
        .env("DOCKER_CONFIG", "/nonexistent-layerlens-test")
        .stdin(Stdio::null())
        .output()
        .expect("run layerlens");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
