//! `layerlens diff A B` against the real registry harness: an image against
//! its base (whiteouts, an opaque directory, a file turned into a
//! directory, a changed mode, a rewritten file), an image against itself,
//! two platforms of one index. The JSON's lists are checked against sets
//! computed here from the two canonical listings (`tree --format tsv`).

use std::collections::{BTreeMap, BTreeSet};

use layerlens_testkit::registry::media_types as mt;
use layerlens_testkit::registry::{
    sha256_digest, BuiltImage, Flavor, ImageBuilder, Layer, Registry,
};
use layerlens_testkit::tar::{gzip, Member};

use crate::registry::{layerlens, push_two_platforms, tar};

const T: i64 = 1_700_000_000;

fn layer(members: &[Member]) -> Layer {
    let t = tar(members);
    Layer::new(gzip(&t), mt::OCI_LAYER_GZIP, &sha256_digest(&t))
}

fn base_layers() -> Vec<Layer> {
    vec![
        layer(&[
            Member::dir(b"etc/").mode(0o755).mtime(T),
            Member::file(b"etc/hello", b"hello\n").mtime(T),
            Member::file(b"etc/motd", b"welcome\n").mtime(T),
            Member::file(b"etc/tool", b"#!/bin/sh\n")
                .mode(0o755)
                .mtime(T),
            Member::dir(b"opt/").mode(0o755).mtime(T),
            Member::dir(b"opt/data/").mode(0o755).mtime(T),
            Member::file(b"opt/data/a", b"a").mtime(T),
            Member::file(b"opt/data/b", b"bb").mtime(T),
            Member::file(b"srv", b"a file, for now").mtime(T),
        ]),
        layer(&[Member::file(b"etc/extra", b"extra\n").mtime(T)]),
    ]
}

fn image(layers: Vec<Layer>, env: &str) -> BuiltImage {
    let mut b = ImageBuilder::oci().env(env);
    for l in layers {
        b = b.layer(l);
    }
    b.build()
}

/// The base, and the base with a layer on top that changes every way.
fn base_and_derived() -> (BuiltImage, BuiltImage) {
    let base = image(base_layers(), "STAGE=base");
    let mut layers = base_layers();
    layers.push(layer(&[
        Member::file(b"etc/.wh.motd", b"").mtime(T),
        Member::file(b"etc/hello", b"hello again\n").mtime(T + 5),
        Member::file(b"etc/tool", b"#!/bin/sh\n")
            .mode(0o4755)
            .mtime(T),
        Member::file(b"opt/data/.wh..wh..opq", b"").mtime(T),
        Member::file(b"opt/data/c", b"ccc").mtime(T),
        Member::file(b"etc/extra", b"extra\n").mtime(T + 99),
        Member::dir(b"srv/").mode(0o755).mtime(T),
        Member::file(b"srv/index.html", b"<p>hi</p>").mtime(T),
        Member::dir(b"app/").mode(0o755).mtime(T),
        Member::file(b"app/new", b"new").mtime(T),
    ]));
    (base, image(layers, "STAGE=app"))
}

/// `text` holds `want` (the whole text is shown when it does not).
fn has(text: &str, want: &str) {
    assert!(text.contains(want), "{want:?} not in:\n{text}");
}

/// `path → the other columns but mtime` of a canonical listing.
fn listing(reference: &str, extra: &[&str]) -> BTreeMap<String, Vec<String>> {
    let run = layerlens(
        &[&["tree", reference, "--format", "tsv"], extra].concat(),
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout
        .lines()
        .skip(1)
        .map(|l| {
            let cols: Vec<String> = l.split('\t').map(str::to_owned).collect();
            (cols[0].clone(), cols[1..8].to_vec())
        })
        .collect()
}

/// The added, removed and modified paths, computed from two listings.
fn expected(
    a: &BTreeMap<String, Vec<String>>,
    b: &BTreeMap<String, Vec<String>>,
) -> [BTreeSet<String>; 3] {
    let added = b.keys().filter(|p| !a.contains_key(*p)).cloned().collect();
    let removed = a.keys().filter(|p| !b.contains_key(*p)).cloned().collect();
    let modified = a
        .iter()
        .filter(|(p, cols)| b.get(*p).is_some_and(|c| c != *cols))
        .map(|(p, _)| p.clone())
        .collect();
    [added, removed, modified]
}

fn paths(v: &serde_json::Value, key: &str) -> BTreeSet<String> {
    v[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn an_image_against_its_base() {
    let registry = Registry::start(Flavor::Open);
    let (base, derived) = base_and_derived();
    base.push(&registry.client(), "d/base", Some("v1"));
    derived.push(&registry.client(), "d/app", Some("v1"));
    let a = format!("{}/d/base:v1", registry.host_port());
    let b = format!("{}/d/app:v1", registry.host_port());

    let run = layerlens(&["diff", &a, &b, "--format", "json"], None);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let [added, removed, modified] = expected(&listing(&a, &[]), &listing(&b, &[]));
    assert_eq!(paths(&v, "added"), added);
    assert_eq!(paths(&v, "removed"), removed);
    assert_eq!(paths(&v, "modified"), modified);
    // The cases by name: a whiteout and an opaque directory remove, a file
    // became a directory (modified: its type; its child added), a mode
    // changed, an mtime alone is no modification.
    assert!(removed.contains("/etc/motd") && removed.contains("/opt/data/a"));
    assert!(added.contains("/srv/index.html") && added.contains("/app/new"));
    assert!(modified.contains("/srv") && modified.contains("/etc/tool"));
    assert!(!modified.contains("/etc/extra"), "mtime only");
    let changed = |p: &str| {
        v["modified"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["path"] == p)
            .map(|e| e["changed"].clone())
            .unwrap()
    };
    assert_eq!(changed("/etc/tool"), serde_json::json!(["mode"]));
    assert_eq!(changed("/srv")[0], "type");
    assert_eq!(changed("/etc/hello"), serde_json::json!(["size", "sha256"]));
    // The layers shared: the base's two, as the base of the new image.
    assert_eq!(v["layers"]["base"], 2);
    assert_eq!(v["layers"]["shared"].as_array().unwrap().len(), 2);
    assert_eq!(v["config"]["Env"]["a"], serde_json::json!(["STAGE=base"]));
    assert_eq!(v["config"]["Env"]["b"], serde_json::json!(["STAGE=app"]));

    // With --mtime, an mtime alone counts.
    let run = layerlens(&["diff", &a, &b, "--format", "json", "--mtime"], None);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(paths(&v, "modified").contains("/etc/extra"));

    // The text for a person: a summary, then dive's symbols.
    let run = layerlens(&["diff", &a, &b], None);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let first = run.stdout.lines().next().unwrap();
    assert!(
        first.contains(&format!(
            "{} added, {} removed, {} modified",
            added.len(),
            removed.len(),
            modified.len()
        )),
        "{first}"
    );
    assert!(first.contains("shares 2 of 3 layers"), "{first}");
    has(&run.stdout, "\n- /etc/motd\t");
    has(&run.stdout, "\n+ /app/new\t");
    has(&run.stdout, "\n~ /etc/tool\t");
}

#[test]
fn an_image_against_itself_and_errors() {
    let registry = Registry::start(Flavor::Open);
    let (base, _) = base_and_derived();
    base.push(&registry.client(), "same/app", Some("v1"));
    let a = format!("{}/same/app:v1", registry.host_port());
    let run = layerlens(&["diff", &a, &a, "--format", "json"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    for k in ["added", "removed", "modified"] {
        assert_eq!(v[k], serde_json::json!([]), "{k}");
    }
    assert_eq!(v["config"], serde_json::json!({}));
    let run = layerlens(
        &[
            "diff",
            &a,
            &format!("{}/same/nothing:v9", registry.host_port()),
        ],
        None,
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    has(&run.stderr, "same/nothing");
}

#[test]
fn two_platforms_of_one_index() {
    let registry = Registry::start(Flavor::Open);
    let r = push_two_platforms(&registry);
    let run = layerlens(
        &[
            "diff",
            &r,
            &r,
            "--platform-a",
            "linux/amd64",
            "--platform-b",
            "linux/arm64/v8",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let [added, removed, modified] = expected(
        &listing(&r, &["--platform", "linux/amd64"]),
        &listing(&r, &["--platform", "linux/arm64/v8"]),
    );
    assert_eq!(paths(&v, "added"), added);
    assert_eq!(paths(&v, "removed"), removed);
    assert_eq!(paths(&v, "modified"), modified);
    assert!(added.contains("/only-arm64-v8"), "{added:?}");
    assert_eq!(v["layers"]["base"], 0);
}

#[test]
fn check_applies_dives_ci_rules() {
    let registry = Registry::start(Flavor::Open);
    let (_, derived) = base_and_derived();
    derived.push(&registry.client(), "ci/app", Some("v1"));
    let r = format!("{}/ci/app:v1", registry.host_port());
    let tmp = tempfile::tempdir().unwrap();
    let rules = |name: &str, text: &str| {
        let p = tmp.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_owned()
    };
    // Wasted, counted by hand: the first copies of hello (6), tool (10),
    // extra (6), motd (8, whited out), a and b (1 + 2, the opaque
    // directory) and the file srv (15) that became a directory: 48 of the
    // 91 bytes the layers store, 49 of them above the first layer.
    let strict = rules(
        "strict",
        "rules:\n  lowestEfficiency: 0.9\n  highestWastedBytes: 40B\n  highestUserWastedPercent: disabled\n",
    );
    let run = layerlens(&["check", &r, "--ci-config", &strict], None);
    assert_eq!(run.code, 1, "{}", run.stderr);
    has(&run.stdout, "wastedBytes: 48 bytes");
    has(&run.stdout, "efficiency: 47.2527 %");
    has(&run.stdout, "userWastedPercent: 97.9592 %");
    has(&run.stdout, "FAIL: lowestEfficiency");
    has(&run.stdout, "FAIL: highestWastedBytes");
    has(&run.stdout, "SKIP: highestUserWastedPercent");
    has(&run.stdout, "Result:FAIL [Total:3] [Passed:0] [Failed:2]");
    let lenient = rules(
        "lenient",
        "rules:\n  lowestEfficiency: 0.4\n  highestWastedBytes: 1KB\n  highestUserWastedPercent: 0.99\n",
    );
    let run = layerlens(&["check", &r, "--ci-config", &lenient], None);
    assert_eq!(run.code, 0, "{}", run.stdout);
    has(&run.stdout, "Result:PASS [Total:3] [Passed:3]");
    let broken = rules("broken", "rules:\n  lowestEfficiency: high\n");
    let run = layerlens(&["check", &r, "--ci-config", &broken], None);
    assert_eq!(run.code, 2);
    has(&run.stderr, "line 2");
}

#[test]
fn fail_on_gates_what_a_change_may_bring_in() {
    let registry = Registry::start(Flavor::Open);
    let (base, derived) = base_and_derived();
    base.push(&registry.client(), "gate/base", Some("v1"));
    derived.push(&registry.client(), "gate/app", Some("v1"));
    let a = format!("{}/gate/base:v1", registry.host_port());
    let b = format!("{}/gate/app:v1", registry.host_port());
    // /etc/tool gained its setuid bit; /app/new was added.
    let run = layerlens(
        &["diff", &a, &b, "--fail-on", "setuid,added=/root/**"],
        None,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    has(&run.stderr, "FAIL: setuid: 1 paths\n  ~ /etc/tool");
    has(&run.stderr, "PASS: added=/root/**");
    // Rules that hold pass, though the images differ.
    let run = layerlens(
        &["diff", &a, &b, "--fail-on", "added=/root/**,larger=1KB"],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = layerlens(&["diff", &a, &b, "--fail-on", "added=/app/*"], None);
    assert_eq!(run.code, 1);
    has(&run.stderr, "+ /app/new");
    let run = layerlens(&["diff", &a, &b, "--fail-on", "bigger=3"], None);
    assert_eq!(run.code, 2);
    has(&run.stderr, "not a rule");
}
