//! Each fault through the registry client and the layer scan, natively: what the report
//! says, that a damaged stream is never verified, and what the front was asked.

use std::time::Duration;

use layerlens::inspect::{resolve, scan_layers, scan_request, LayerReport, ScanSettings};
use layerlens::native::http::Timeouts;
use layerlens::native::NativeFetch;
use layerlens::oci::{PlatformPolicy, Reference};
use layerlens::registry::Client;
use layerlens_testkit::http::{Reply, ReplyBody, Upstream};

use layerlens_testkit::registry::fault_front::{cut_at, cut_range, stall_from, FaultFront};

use super::{broken, CUT};

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The one layer's report, scanned through the client over `fetch`.
fn scan_with(front: &FaultFront, fetch: NativeFetch) -> LayerReport {
    let client = Client::new(fetch, now_ms as fn() -> u64);
    let reference = Reference::parse_normalized(&front.reference()).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let image = resolve(&client, &reference, &PlatformPolicy::default())
            .await
            .unwrap();
        let mut reports = scan_layers(&client, &image, &ScanSettings::default(), &|_| {}).await;
        assert_eq!(reports.len(), 1);
        reports.remove(0)
    })
}

fn scan(front: &FaultFront) -> LayerReport {
    scan_with(front, NativeFetch::new().unwrap())
}

/// The report's problem, which must exist: the layer is not verified.
fn problem(report: &LayerReport) -> String {
    assert!(!report.is_verified(), "a damaged stream reported verified");
    report.problem().expect("an unverified layer says why")
}

fn assert_has(text: &str, parts: &[&str]) {
    for part in parts {
        assert!(text.contains(part), "{part:?} missing from: {text}");
    }
}

#[test]
fn a_dropped_blob_resumes_once_with_range_and_verifies() {
    let front = broken(|_, n, blob| (n == 0).then(|| cut_at(blob, CUT)));
    let report = scan(&front);
    assert!(report.is_verified(), "{:?}", report.problem());
    assert!(report.entries().iter().any(|e| e.path == b"etc/motd"));
    assert_eq!(front.ranges(), [None, Some(format!("bytes={CUT}-"))]);
}

#[test]
fn a_resume_answered_with_the_whole_blob_skips_what_was_read() {
    let front = broken(|_, n, blob| match n {
        0 => Some(cut_at(blob, CUT)),
        // Range ignored: 200 and every byte again.
        _ => Some(Reply::new(200, blob.to_vec())),
    });
    let report = scan(&front);
    assert!(report.is_verified(), "{:?}", report.problem());
    assert_eq!(front.blob_requests().len(), 2);
}

#[test]
fn a_second_drop_is_an_error_naming_the_blob_and_the_offsets() {
    let front = broken(|_, n, blob| match n {
        0 => Some(cut_at(blob, CUT)),
        _ => Some(cut_range(blob, CUT, 50_000)),
    });
    let text = problem(&scan(&front));
    assert_has(
        &text,
        &[
            &front.digest(),
            "faults/app",
            "dropped again at byte 150000",
            &format!("at byte {CUT}"),
            "not resumed twice",
        ],
    );
    assert_eq!(front.blob_requests().len(), 2, "resumed once only");
}

#[test]
fn a_worker_s_planned_request_resumes_a_drop_too() {
    let front = broken(|_, n, blob| (n == 0).then(|| cut_at(blob, CUT)));
    let client = Client::new(NativeFetch::new().unwrap(), now_ms as fn() -> u64);
    let reference = Reference::parse_normalized(&front.reference()).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let report = rt.block_on(async {
        let image = resolve(&client, &reference, &PlatformPolicy::default())
            .await
            .unwrap();
        let layer = image.image_manifest().unwrap().layers()[0].clone();
        let diff_id = image.image_config().unwrap().diff_ids().first().cloned();
        let request = client
            .blob_request(&reference, layer.digest())
            .await
            .unwrap();
        let other = NativeFetch::new().unwrap();
        let settings = ScanSettings::default();
        scan_request(&other, request, 0, layer, diff_id, &settings, &|_| {}).await
    });
    assert!(report.is_verified(), "{:?}", report.problem());
    assert_eq!(front.ranges(), [None, Some(format!("bytes={CUT}-"))]);
}

#[test]
fn a_503_then_a_429_are_retried_after_their_retry_after() {
    let front = broken(|_, n, _| match n {
        // 2 s, more than the 1 s the client waits when told nothing.
        0 => Some(Reply::new(503, "busy").header("Retry-After", "2")),
        1 => Some(Reply::new(429, "slow down").header("Retry-After", "1")),
        _ => None,
    });
    let report = scan(&front);
    assert!(report.is_verified(), "{:?}", report.problem());
    let seen = front.blob_requests();
    assert_eq!(seen.len(), 3);
    for (pair, asked) in seen.windows(2).zip([2_000, 1_000]) {
        let waited = pair[1].1 - pair[0].1;
        assert!(
            waited >= Duration::from_millis(asked - 50),
            "asked again after {waited:?}, not the {asked} ms Retry-After asked for"
        );
    }
}

#[test]
fn retries_are_bounded_and_a_long_retry_after_is_not_waited_for() {
    let front = broken(|_, _, _| Some(Reply::new(503, "down").header("Retry-After", "0")));
    let text = problem(&scan(&front));
    assert_has(
        &text,
        &["HTTP 503", "still failing after 2 retries", &front.digest()],
    );
    assert_eq!(
        front.blob_requests().len(),
        3,
        "the first try and 2 retries"
    );

    let front = broken(|_, _, _| Some(Reply::new(429, "later").header("Retry-After", "120")));
    let text = problem(&scan(&front));
    assert_has(
        &text,
        &["HTTP 429", "asked to wait 120 s", "try again later"],
    );
    assert_eq!(front.blob_requests().len(), 1, "not retried");
}

#[test]
fn a_content_length_other_than_the_descriptor_s_is_refused() {
    for delta in [-1i64, 1] {
        let front = broken(move |_, _, blob| {
            let announced = (blob.len() as i64 + delta).to_string();
            Some(Reply::new(200, blob.to_vec()).header("Content-Length", &announced))
        });
        let text = problem(&scan(&front));
        let announced = (front.blob().len() as i64 + delta).to_string();
        assert_has(&text, &["Content-Length", &announced, &front.digest()]);
    }
}

#[test]
fn a_redirect_loop_is_an_error_naming_the_loop() {
    // The blob goes to storage, whose two paths send it to each other.
    let storage = Upstream::start(|request| {
        if request.path == "/storage/a" {
            Reply::redirect(307, "/storage/b?sig=secret")
        } else {
            Reply::redirect(307, "/storage/a")
        }
    });
    let to = format!("http://{}/storage/a", storage.host_port());
    let front = broken(move |_, _, _| Some(Reply::redirect(307, &to)));
    let text = problem(&scan(&front));
    assert_has(
        &text,
        &[
            "redirect loop",
            "/storage/a -> ",
            "/storage/b -> ",
            &front.digest(),
        ],
    );
    assert!(
        !text.contains("secret"),
        "a signed query is not shown: {text}"
    );
    assert_eq!(storage.requests().len(), 2, "no hop past the loop");
}

#[test]
fn a_body_that_never_ends_is_cut_at_the_descriptor_s_size() {
    let front = broken(|_, _, _| {
        Some(Reply {
            status: 200,
            headers: Vec::new(),
            body: ReplyBody::Chunked(1 << 40),
        })
    });
    let text = problem(&scan(&front));
    let size = front.blob().len();
    // Not gzip, so the scan fails at once; the rest is read to tell other bytes from a
    // corrupt layer, and that read stops at the first piece past the size.
    let prefix = format!("size mismatch: expected {size} bytes, got ");
    assert_has(&text, &[&prefix, &front.digest()]);
    let got: usize = text
        .split(&prefix)
        .nth(1)
        .and_then(|t| t.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok())
        .expect("the bytes received");
    assert!(
        got > size && got <= size + (1 << 20),
        "stopped just past the size, not read on: {got}"
    );
}

#[test]
fn a_body_that_stalls_is_cut_by_the_transport_resumed_once_then_reported() {
    // 20 000 bytes from where it was asked, then silence.
    let front =
        broken(|request, _, blob| Some(stall_from(request, blob, 20_000, Duration::from_secs(20))));
    // One second of silence cuts a body here (30 s by default).
    let timeouts = Timeouts {
        idle: Duration::from_secs(1),
        ..Timeouts::default()
    };
    let text = problem(&scan_with(
        &front,
        NativeFetch::with_timeouts(timeouts).unwrap(),
    ));
    assert_has(
        &text,
        &[
            "stalled",
            "dropped again at byte 40000",
            "at byte 20000",
            &front.digest(),
        ],
    );
    assert_eq!(front.ranges(), [None, Some("bytes=20000-".to_owned())]);
}
