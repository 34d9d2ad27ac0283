//! `layerlens ref`: the built binary's output and exit status.

use std::process::{Command, Output};

use serde_json::{json, Value};

const HEX: &str = "86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa";

fn layerlens(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_layerlens"))
        .args(args)
        .output()
        .expect("run layerlens")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn json_lines(o: &Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("line {l:?}: {e}")))
        .collect()
}

#[test]
fn plain_output_is_the_normalised_reference_per_input() {
    let with_digest = format!("busybox:1.36@sha256:{HEX}");
    let o = layerlens(&[
        "ref",
        "busybox",
        &with_digest,
        "localhost:5000/team/api:dev",
        "index.docker.io/foo/bar",
    ]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    assert_eq!(
        stdout(&o),
        format!(
            "docker.io/library/busybox\n\
             docker.io/library/busybox:1.36@sha256:{HEX}\n\
             localhost:5000/team/api:dev\n\
             docker.io/foo/bar\n"
        )
    );
    assert_eq!(stderr(&o), "");
}

#[test]
fn invalid_input_goes_to_stderr_with_status_1() {
    let o = layerlens(&["ref", "alpine:3.20", "Foo", "ok/name"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stdout(&o),
        "docker.io/library/alpine:3.20\ndocker.io/ok/name\n"
    );
    assert_eq!(
        stderr(&o),
        "error: Foo: invalid reference format: repository name (library/Foo) must be lowercase\n"
    );
}

#[test]
fn json_output_one_object_per_input_in_order() {
    let with_digest = format!("busybox:latest@sha256:{HEX}");
    let short_digest = format!("busybox@sha256:{}", &HEX[..40]);
    let o = layerlens(&[
        "ref",
        "--json",
        "busybox",
        &with_digest,
        "[::1]:5000/x:y",
        &short_digest,
        HEX,
    ]);
    assert_eq!(o.status.code(), Some(1));
    let lines = json_lines(&o);
    assert_eq!(
        lines,
        vec![
            json!({
                "input": "busybox",
                "name": "docker.io/library/busybox",
                "domain": "docker.io",
                "path": "library/busybox",
                "tag": null,
                "digest": null,
                "string": "docker.io/library/busybox",
                "familiar": "busybox",
                "pull": "docker.io/library/busybox:latest",
            }),
            json!({
                "input": with_digest,
                "name": "docker.io/library/busybox",
                "domain": "docker.io",
                "path": "library/busybox",
                "tag": "latest",
                "digest": format!("sha256:{HEX}"),
                "string": format!("docker.io/library/busybox:latest@sha256:{HEX}"),
                "familiar": format!("busybox:latest@sha256:{HEX}"),
                "pull": format!("docker.io/library/busybox@sha256:{HEX}"),
            }),
            json!({
                "input": "[::1]:5000/x:y",
                "name": "[::1]:5000/x",
                "domain": "[::1]:5000",
                "path": "x",
                "tag": "y",
                "digest": null,
                "string": "[::1]:5000/x:y",
                "familiar": "[::1]:5000/x:y",
                "pull": "[::1]:5000/x:y",
            }),
            json!({"input": short_digest, "error": "invalid checksum digest length"}),
            json!({
                "input": HEX,
                "error": format!("invalid repository name ({HEX}), cannot specify 64-byte hexadecimal strings"),
            }),
        ]
    );
    // Key order as documented, for people reading the output.
    let first = stdout(&o).lines().next().unwrap().to_owned();
    let keys = [
        "input", "name", "domain", "path", "tag", "digest", "string", "familiar", "pull",
    ];
    let positions: Vec<usize> = keys
        .iter()
        .map(|k| first.find(&format!("\"{k}\":")).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{first}");
    assert_eq!(stderr(&o), "");
}

#[test]
fn all_valid_json_exits_0() {
    let o = layerlens(&["ref", "--json", "ghcr.io/org/app:1"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(json_lines(&o)[0]["pull"], "ghcr.io/org/app:1");
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["ref", "--bogus", "x"][..],
        &["ref"],
        &[],
        &["nosuchcommand"],
    ] {
        let o = layerlens(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert_eq!(stdout(&o), "", "{args:?}");
    }
}
