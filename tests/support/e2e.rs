//! What the browser test harnesses share (`tests/browser/page.rs`,
//! `tests/browser/library.rs`): the checks for what they need, `layerlens serve`
//! on `127.0.0.1:0` serving the built page, and running node's test runner
//! with a time limit, its output reported.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Kills a child process when dropped.
pub struct Guard(pub Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub use crate::root;

/// Fails with what to do when `path` is missing.
pub fn require(path: &Path, how: &str) {
    assert!(
        path.exists(),
        "{} is missing: {how} (scripts/test.sh does this)",
        path.display()
    );
}

/// Checks what every browser harness needs: the built page, playwright-core
/// and the Debian chromium.
pub fn require_browser_tools() {
    let root = root();
    require(&root.join("dist/index.html"), "run `trunk build`");
    require(
        &root.join("tests/e2e/node_modules/playwright-core"),
        "run `npm ci` in tests/e2e",
    );
    require(
        Path::new("/usr/bin/chromium"),
        "install the `chromium` Debian package",
    );
}

/// Starts `layerlens serve` (the `layerlens` binary of this build) serving
/// `dist/` and allowing `registries`, with `extra` arguments; returns it and
/// its base URL (no trailing slash).
pub fn serve(bin: &str, registries: &[String], extra: &[&str]) -> (Guard, String) {
    let mut command = Command::new(bin);
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--dist"])
        .arg(root().join("dist"))
        .args(extra);
    for r in registries {
        command.args(["--allow-registry", r]);
    }
    let mut child = command
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

/// Runs `node` (already given its arguments and environment) to the end or
/// until `timeout`, prints its output, and fails the test unless it passed.
pub fn run_node(mut node: Command, timeout: Duration) {
    let mut node = node
        .current_dir(root())
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
        if start.elapsed() > timeout {
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
        None => panic!("the browser tests took more than {timeout:?}:\n{stdout}\n{stderr}"),
    }
}
