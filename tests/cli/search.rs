//! `layerlens search` end to end. Docker Hub is unreachable from these
//! machines, so a small local server stands in for it (tests/support/hub.rs,
//! answering the search API's JSON shape), named with `--docker-hub-search`.

use std::process::Command;

use layerlens_testkit::hub::Hub;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn search(hub: &Hub, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_layerlens"))
        .arg("search")
        .args(["--docker-hub-search", &hub.url()])
        .args(args)
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn prints_the_docker_search_table() {
    let hub = Hub::start();
    let r = search(&hub, &["busybox"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let expected = "\
NAME                 DESCRIPTION                                     STARS     OFFICIAL
busybox              Busybox base image.                             3300      [OK]
progrium/busybox                                                     70        
radial/busyboxplus   Full-chain, Internet enabled, busybox made f…   50        
hostile/busybox      <img src=x onerror=\"document.body.dataset.pw…   2         
";
    assert_eq!(r.stdout, expected);
    assert_eq!(hub.requests()[0].target, "/v1/search?q=busybox&n=25");
}

#[test]
fn filters_limit_no_trunc_and_format() {
    let hub = Hub::start();
    let r = search(&hub, &["--filter", "is-official=true", "busybox"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.lines().count(), 2, "{}", r.stdout);
    assert!(r.stdout.contains("busybox "), "{}", r.stdout);

    let r = search(
        &hub,
        &["-f", "stars=60", "--format", "{{.Name}}", "busybox"],
    );
    assert_eq!(r.stdout, "busybox\nprogrium/busybox\n");

    let r = search(&hub, &["--limit", "2", "--format", "{{.Name}}", "busybox"]);
    assert_eq!(r.stdout, "busybox\nprogrium/busybox\n");
    assert_eq!(
        hub.requests().last().unwrap().target,
        "/v1/search?q=busybox&n=2"
    );

    let r = search(
        &hub,
        &["--no-trunc", "--format", "{{.Description}}", "alpine"],
    );
    assert_eq!(
        r.stdout,
        "A minimal Docker image based on Alpine Linux with a complete package index.\n"
    );

    let r = search(
        &hub,
        &[
            "--format",
            "{{.Name}}\\t{{.StarCount}}\\t{{.IsOfficial}}",
            "alpine",
        ],
    );
    assert_eq!(r.stdout, "alpine\t11000\t[OK]\n");

    let r = search(&hub, &["--format", "{{json .}}", "progrium"]);
    let json: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(json["Name"], "progrium/busybox");
    assert_eq!(json["IsOfficial"], "false");
    // The daemon reports the deprecated flag as false whatever Hub says.
    assert_eq!(json["IsAutomated"], "false");

    let r = search(&hub, &["--filter", "is-automated=true", "busybox"]);
    assert_eq!(r.code, 0);
    assert_eq!(r.stdout.lines().count(), 1, "only the header: {}", r.stdout);
    assert!(
        r.stderr.contains("\"is-automated\" filter is deprecated"),
        "{}",
        r.stderr
    );
}

#[test]
fn bad_input_is_refused_before_any_request() {
    let hub = Hub::start();
    for (args, message) in [
        (
            vec!["--limit", "101", "busybox"],
            "limit 101 is outside the range of [1, 100]",
        ),
        (
            vec!["--filter", "foo=bar", "busybox"],
            "invalid filter 'foo'",
        ),
        (
            vec!["--filter", "is-official=yes", "busybox"],
            "invalid filter 'is-official=[yes]'",
        ),
        (
            vec!["--filter", "stars", "busybox"],
            "bad format of filter (expected name=value)",
        ),
        (
            vec!["--format", "{{.Stars}}", "busybox"],
            "can't evaluate field Stars",
        ),
        (vec!["ghcr.io/org/app"], "only Docker Hub can be searched"),
    ] {
        let r = search(&hub, &args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(message), "{args:?}: {}", r.stderr);
    }
    assert!(hub.requests().is_empty());
}

#[test]
fn an_unreachable_endpoint_is_an_error_not_a_panic() {
    let out = Command::new(env!("CARGO_BIN_EXE_layerlens"))
        .args([
            "search",
            "--docker-hub-search",
            "http://127.0.0.1:1/v1/search",
            "x",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("searching Docker Hub failed"), "{err}");
}
