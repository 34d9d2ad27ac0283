//! The drop and the 429 through `layerlens tree` and `layerlens inspect`, as a user runs
//! them: the exit status, the message, and the verification the JSON reports.

use layerlens_testkit::http::Reply;
use layerlens_testkit::layerlens;
use layerlens_testkit::registry::fault_front::{cut_at, cut_range};

use super::{broken, CUT};

#[test]
fn tree_resumes_a_dropped_layer_and_reports_a_second_drop() {
    let front = broken(|_, n, blob| (n == 0).then(|| cut_at(blob, CUT)));
    let run = layerlens(&["tree", &front.reference()]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert!(run.stdout.contains("/etc/motd"), "{}", run.stdout);

    let front = broken(|_, n, blob| match n {
        0 => Some(cut_at(blob, CUT)),
        _ => Some(cut_range(blob, CUT, 50_000)),
    });
    let run = layerlens(&["tree", &front.reference()]);
    assert_eq!(run.code, 1, "stdout: {}", run.stdout);
    let layer = format!("layer 0 ({})", front.digest());
    for part in [
        layer.as_str(),
        "dropped again at byte 150000",
        "not resumed twice",
    ] {
        assert!(
            run.stderr.contains(part),
            "{part:?} missing: {}",
            run.stderr
        );
    }
    assert!(!run.stdout.contains("/etc/motd"), "{}", run.stdout);

    let run = layerlens(&["inspect", &front.reference(), "--json"]);
    assert_eq!(run.code, 1, "stderr: {}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["Verification"]["AllVerified"], false);
    assert_eq!(v["Layers"][0]["Verified"], false);
}

#[test]
fn inspect_retries_a_429_and_says_when_it_gives_up() {
    let front =
        broken(|_, n, _| (n == 0).then(|| Reply::new(429, "slow down").header("Retry-After", "0")));
    let run = layerlens(&["inspect", &front.reference(), "--json"]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["Layers"][0]["Verified"], true);
    assert_eq!(front.blob_requests().len(), 2);

    let front = broken(|_, _, _| Some(Reply::new(429, "").header("Retry-After", "0")));
    let run = layerlens(&["tree", &front.reference()]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("rate limit reached"), "{}", run.stderr);
    assert_eq!(
        front.blob_requests().len(),
        3,
        "the first try and 2 retries"
    );

    let front = broken(|_, _, _| Some(Reply::new(429, "").header("Retry-After", "3600")));
    let run = layerlens(&["inspect", &front.reference()]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("asked to wait 3600 s"),
        "{}",
        run.stderr
    );
    assert_eq!(front.blob_requests().len(), 1);
}
