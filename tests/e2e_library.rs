//! The image library end to end, in real headless Chromium: its own harness
//! because the browser tests need control of the registry (a tag is moved
//! under the page, and the registry is stopped to show reopening needs no
//! network). Starts the registry harness (CNCF distribution on 127.0.0.1)
//! with three images of `lib/app` and `lib/other` that share a base layer,
//! `layerlens serve` with the built page, and runs
//! `node --test tests/e2e/library.e2e.mjs` (a name node's default patterns
//! do not match, so `tests/e2e_page.rs` does not run it).
//!
//! Needs, like tests/e2e_page.rs: `dist/` from `trunk build`, `npm ci` in
//! tests/e2e, and `/usr/bin/chromium`.

mod support;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use support::registry::tiny_tar::Tar;
use support::registry::{Flavor, ImageBuilder, Layer, ManifestFormat, Registry};

/// The longest the browser tests may take.
const NODE_TIMEOUT: Duration = Duration::from_secs(300);

/// Kills a child process when dropped.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn require(path: &Path, how: &str) {
    assert!(path.exists(), "{} is missing: {how}", path.display());
}

fn layer(tar: Tar) -> Layer {
    Layer::gzip_tar(ManifestFormat::Oci, &tar.finish())
}

/// Incompressible bytes (xorshift) from a seed.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Starts `layerlens serve` allowing `registry`; returns it and its URL.
fn serve(registry: &str) -> (Guard, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_layerlens"))
        .args(["serve", "--listen", "127.0.0.1:0", "--dist"])
        .arg(root().join("dist"))
        .args(["--allow-registry", registry])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start layerlens serve");
    let stdout = child.stdout.take().expect("stdout");
    let guard = Guard(child);
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read the serve banner");
    let url = line
        .trim()
        .strip_prefix("layerlens: serving ")
        .unwrap_or_else(|| panic!("unexpected banner {line:?}"))
        .trim_end_matches('/')
        .to_owned();
    (guard, url)
}

#[test]
fn the_library_in_headless_chromium() {
    let root = root();
    require(&root.join("dist/index.html"), "run `trunk build`");
    require(
        &root.join("tests/e2e/node_modules/playwright-core"),
        "run `npm ci` in tests/e2e",
    );
    require(Path::new("/usr/bin/chromium"), "install chromium");
    let registry = Registry::start(Flavor::Open);
    let client = registry.client();

    // Content sizes as Docker counts them: regular files only, so
    // lib/app:v1 is 100,000 + 20,000 = 120kB, lib/other:v1 150kB and the
    // image lib/app:v1 moves to 130kB.
    let base = layer(
        Tar::new()
            .dir("base/")
            .file("base/lib.bin", &noise(100_000, 1)),
    );
    let app_layer = layer(Tar::new().dir("app/").file("app/v1.txt", &noise(20_000, 2)));
    let other_layer = layer(
        Tar::new()
            .dir("other/")
            .file("other/data.bin", &noise(50_000, 3))
            .file("other/readme.txt", b"kept for offline file viewing"),
    );
    let app2_layer = layer(Tar::new().dir("app/").file("app/v2.txt", &noise(30_000, 4)));
    let app = ImageBuilder::oci()
        .layer(base.clone())
        .layer(app_layer.clone())
        .created("2024-01-01T00:00:00Z")
        .label("team", "a")
        .build();
    let other = ImageBuilder::oci()
        .layer(base.clone())
        .layer(other_layer.clone())
        .created("2024-02-01T00:00:00Z")
        .label("team", "b")
        .build();
    let app2 = ImageBuilder::oci()
        .layer(base.clone())
        .layer(app2_layer)
        .created("2024-03-01T00:00:00Z")
        .label("team", "a")
        .build();
    app.push(&client, "lib/app", Some("v1"));
    other.push(&client, "lib/other", Some("v1"));
    // Pushed by digest only: the test moves lib/app:v1 to it.
    app2.push(&client, "lib/app", None);

    let (_server, url) = serve(&registry.host_port());
    let pid = registry.pid().expect("the registry runs");
    let shots = root.join("target/screenshots");
    std::fs::create_dir_all(&shots).expect("screenshots dir");
    let b64 = base64::engine::general_purpose::STANDARD;

    let mut node = Command::new("node")
        .args([
            "--test",
            "--test-concurrency=1",
            "tests/e2e/library.e2e.mjs",
        ])
        .current_dir(&root)
        .env("SERVER", &url)
        .env("REGISTRY", registry.host_port())
        .env("REGISTRY_PID", pid.to_string())
        .env("SCREENSHOTS", &shots)
        .env("APP_ID", &app.config_digest)
        .env("APP_MANIFEST", &app.manifest_digest)
        .env("OTHER_ID", &other.config_digest)
        .env("OTHER_MANIFEST", &other.manifest_digest)
        .env("APP2_ID", &app2.config_digest)
        .env("APP2_MANIFEST", &app2.manifest_digest)
        .env("APP2_MANIFEST_B64", b64.encode(&app2.manifest))
        .env("APP2_MEDIA_TYPE", &app2.manifest_media_type)
        .env("BASE_LAYER", base.digest())
        .env("APP_LAYER", app_layer.digest())
        .env("OTHER_LAYER", other_layer.digest())
        .env("KEEP_TEXT", "kept for offline file viewing")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run node (install Node.js 20+)");
    let mut out = node.stdout.take().expect("stdout");
    let mut err = node.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = node.try_wait().expect("wait for node") {
            break Some(status);
        }
        if start.elapsed() > NODE_TIMEOUT {
            let _ = node.kill();
            let _ = node.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let stdout = reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    println!("{stdout}");
    eprintln!("{stderr}");
    match status {
        Some(s) => assert!(s.success(), "the browser tests failed:\n{stdout}\n{stderr}"),
        None => panic!("the browser tests took more than {NODE_TIMEOUT:?}:\n{stdout}\n{stderr}"),
    }
}
