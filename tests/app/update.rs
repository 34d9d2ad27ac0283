//! `update()` for each message, against an in-memory registry: loading,
//! links, platforms, layers, credentials, stale results, verification
//! failures, copies, and the sections the page draws (golden).

use layerlens::app::views;
use layerlens::app::{CopyWhat, Effect, ErrorKind, LoadId, Msg, Phase, Step};
use layerlens::inspect::InspectError;
use layerlens_testkit::app::*;

fn error_of(page: &Page) -> layerlens::app::UserError {
    match &page.state.phase {
        Phase::Error(e) => e.clone(),
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn submitting_a_reference_resolves_scans_and_links() {
    let mut page = Page::new(demo_registry());
    page.perform = false;
    page.submit(" 127.0.0.1:5000/demo:v1 ");
    assert_eq!(page.state.phase, Phase::Loading(Step::Resolving));
    assert_eq!(page.state.phase.hook(), "loading");
    assert!(
        matches!(&page.effects[0], Effect::Resolve(t) if t.load == LoadId(1)
        && t.reference.to_string() == "127.0.0.1:5000/demo:v1"
        && t.credentials.is_none() && t.proxy_base == "/proxy/")
    );
    assert_eq!(
        page.urls,
        vec![("?image=127.0.0.1:5000/demo:v1".to_owned(), true)]
    );

    let mut page = demo_page();
    assert_eq!(page.state.phase, Phase::Ready);
    assert_eq!(page.url(), "?image=127.0.0.1:5000/demo:v1");
    assert_eq!(page.state.recent, vec!["127.0.0.1:5000/demo:v1"]);
    // The registry saw: a HEAD for the tag, the manifest by digest, the
    // config and the three layers.
    let reqs = page.registry.requests.borrow().clone();
    assert_eq!(reqs.len(), 6, "{reqs:#?}");
    assert!(reqs[0].ends_with("/v2/demo/manifests/v1"));
    page.send(Msg::RecentChosen(0));
    assert_eq!(page.state.phase, Phase::Ready);
    assert_eq!(
        page.cancelled,
        Vec::<u64>::new(),
        "a finished load needs no cancel"
    );
}

#[test]
fn a_deep_link_restores_the_view() {
    let mut page = Page::new(demo_registry());
    page.send(Msg::Started {
        query: "?image=127.0.0.1:5000/demo:v1&layer=1&path=/etc/new.conf&view=changes".into(),
        page_url: "http://127.0.0.1:8080/".into(),
    });
    assert_eq!(page.state.phase, Phase::Ready);
    assert_eq!(page.state.tree.selected(), Some(&b"etc/new.conf"[..]));
    // Only the revealed path's parents are open (no auto-expansion).
    assert_text(
        &page.names(),
        "  v etc\n~     hello\n+*    new.conf\n-     os-release\n  > usr",
    );
    let file = views::file(&page.state).unwrap();
    assert_eq!(file.path, "/etc/new.conf");
    assert_eq!(file.size, "4 (4 bytes)");
    // The address is the link, not a new history entry.
    assert_eq!(
        page.urls.last().unwrap(),
        &(
            "?image=127.0.0.1:5000/demo:v1&layer=1&path=/etc/new.conf&view=changes".to_owned(),
            false
        )
    );
    // A link to a path that is not there selects its closest parent.
    let mut page = Page::new(demo_registry());
    page.send(Msg::Started {
        query: "?image=127.0.0.1:5000/demo:v1&path=/etc/missing/deeper".into(),
        page_url: String::new(),
    });
    assert_eq!(page.state.tree.selected(), Some(&b"etc"[..]));
}

#[test]
fn back_and_forward() {
    let mut page = demo_page();
    page.send(Msg::RowClicked(3));
    // Same image: only the selection changes, nothing is loaded again
    // (the file viewer streams the selected file's one layer).
    let before = page.registry.requests.borrow().len();
    page.send(Msg::RouteChanged {
        query: "?image=127.0.0.1:5000/demo:v1&path=/usr/bin/big".into(),
    });
    let new = page.registry.requests.borrow()[before..].to_vec();
    assert!(
        new.len() <= 1 && new.iter().all(|u| u.contains("/blobs/")),
        "{new:?}"
    );
    assert_eq!(page.state.tree.selected(), Some(&b"usr/bin/big"[..]));
    // Back to the empty page.
    page.send(Msg::RouteChanged {
        query: String::new(),
    });
    assert_eq!(page.state.phase, Phase::Idle);
    assert!(page.state.current.is_none());
    assert_eq!(page.state.tree.visible().len(), 0);
}

#[test]
fn switching_platform_keeps_the_path() {
    let mut page = Page::new(demo_registry());
    page.submit("127.0.0.1:5000/multi:v1");
    let p = views::platforms(&page.state);
    let labels: Vec<(&str, bool)> = p
        .entries
        .iter()
        .map(|e| (e.label.as_str(), e.chosen))
        .collect();
    assert_eq!(
        labels,
        vec![("linux/amd64", true), ("linux/arm64/v8", false)]
    );
    assert_eq!(
        page.url(),
        "?image=127.0.0.1:5000/multi:v1&platform=linux/amd64"
    );
    assert_eq!(page.names(), "  v etc\n      amd64-only\n      hello");
    page.send(Msg::RowClicked(2));
    page.send(Msg::PlatformChosen("linux/arm64/v8".into()));
    assert!(page.effects.iter().any(|e| matches!(e, Effect::Resolve(t)
        if t.load == LoadId(2) && format!("{:?}", t.policy).contains("arm64"))));
    assert_eq!(page.state.phase, Phase::Ready);
    assert_eq!(page.names(), "  v etc\n      arm64-only\n *    hello");
    assert_eq!(
        page.url(),
        "?image=127.0.0.1:5000/multi:v1&platform=linux/arm64/v8&path=/etc/hello"
    );
    assert_eq!(
        views::overview(&page.state).unwrap().platform,
        "linux/arm64/v8"
    );
    // An unknown platform in a link says which ones exist.
    let mut page = Page::new(demo_registry());
    page.send(Msg::Started {
        query: "?image=127.0.0.1:5000/multi:v1&platform=linux/s390x".into(),
        page_url: String::new(),
    });
    let e = error_of(&page);
    assert_eq!(e.kind, ErrorKind::Platform);
    assert!(
        e.detail.contains("linux/amd64, linux/arm64/v8"),
        "{}",
        e.detail
    );
}

#[test]
fn results_of_an_old_load_are_ignored() {
    let mut page = Page::new(demo_registry());
    page.perform = false;
    page.submit("127.0.0.1:5000/demo:v1");
    page.submit("127.0.0.1:5000/multi:v1");
    assert_eq!(page.cancelled, vec![1]);
    page.send(Msg::Resolved {
        load: LoadId(1),
        result: Err(InspectError::Platform("stale".into())),
    });
    page.send(Msg::ScanFinished { load: LoadId(1) });
    assert_eq!(page.state.phase, Phase::Loading(Step::Resolving));
}

#[test]
fn copies_and_settings() {
    let mut page = demo_page();
    page.send(Msg::Started {
        query: "?image=127.0.0.1:5000/demo:v1".into(),
        page_url: "http://h:1/".into(),
    });
    page.send(Msg::CopyRequested(CopyWhat::PullCommand));
    page.send(Msg::CopyRequested(CopyWhat::Link));
    page.send(Msg::CopyRequested(CopyWhat::PinnedLink));
    let digest = page
        .state
        .current
        .as_ref()
        .unwrap()
        .image
        .as_ref()
        .unwrap()
        .digest
        .to_string();
    assert_eq!(
        page.copied[0],
        format!("docker pull 127.0.0.1:5000/demo@{digest}")
    );
    assert_eq!(page.copied[1], "http://h:1/?image=127.0.0.1:5000/demo:v1");
    assert_eq!(
        page.copied[2],
        format!("http://h:1/?image=127.0.0.1:5000/demo@{digest}")
    );
    page.send(Msg::ProxyBaseChanged("https://proxy.example/p".into()));
    assert_eq!(page.state.proxy_base, "https://proxy.example/p/");
    page.send(Msg::ProxyBaseChanged("javascript:alert(1)".into()));
    assert_eq!(page.state.proxy_base, "https://proxy.example/p/");
    assert!(page
        .state
        .notice
        .as_deref()
        .unwrap()
        .contains("must be a path"));
    page.perform = false;
    page.submit("127.0.0.1:5000/demo:v1");
    assert!(matches!(page.effects.last(), Some(Effect::SetUrl { .. })));
    assert!(page
        .effects
        .iter()
        .any(|e| matches!(e, Effect::Resolve(t) if t.proxy_base == "https://proxy.example/p/")));
}

#[test]
fn progress_feeds_the_layer_bars() {
    let reg = demo_registry();
    let mut page = Page::new(reg);
    page.perform = false;
    page.submit("127.0.0.1:5000/demo:v1");
    // Resolve for real, then feed progress by hand.
    let client = layerlens::registry::Client::new(page.registry.clone(), || 0);
    let Some(Effect::Resolve(task)) = page.effects.first().cloned() else {
        panic!()
    };
    let msg = block_on(layerlens::app::driver::run_resolve(&client, &task));
    page.send(msg);
    assert_eq!(page.state.phase, Phase::Loading(Step::Layers));
    use layerlens::inspect::Progress;
    page.send(Msg::LayerProgress {
        load: LoadId(1),
        progress: Progress::Started {
            index: 0,
            total: 1000,
        },
        now_ms: 1000.0,
    });
    page.send(Msg::LayerProgress {
        load: LoadId(1),
        progress: Progress::Bytes {
            index: 0,
            done: 500_000,
            total: 1_000_000,
        },
        now_ms: 1500.0,
    });
    let l = views::layers(&page.state);
    assert_eq!(
        l.lines[0].status,
        views::LayerStatus::Loading {
            done: 500_000,
            total: 1_000_000,
            rate: "1.0 MB/s".into()
        }
    );
    assert_eq!(l.lines[1].status, views::LayerStatus::Waiting);
    assert_eq!(
        views::status(&page.state).steps.last().unwrap(),
        "Layers: 0 of 3 done"
    );
}

#[test]
fn the_sections_golden() {
    let mut page = demo_page();
    page.send(Msg::LayerSelected(Some(1)));
    let o = views::overview(&page.state).unwrap();
    assert_eq!(o.name, "127.0.0.1:5000/demo:v1");
    assert_eq!(o.media_type, "application/vnd.oci.image.manifest.v1+json");
    assert_eq!(o.platform, "linux/amd64");
    assert_eq!(o.created, "2024-05-01T12:00:00Z");
    assert_eq!(o.author, "layerlens tests");
    // bin/sh, etc/hello, etc/new.conf, opt/app/data.bin, usr/bin/big.
    assert_eq!(o.files, "5");
    assert_eq!(o.verified, Some(true));
    assert_eq!(o.checks.len(), 5);
    assert!(o.uncompressed.ends_with(" bytes)"));

    let c = views::config(&page.state);
    let keys: Vec<&str> = c.items.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        vec!["Env", "Cmd", "WorkingDir", "ExposedPorts", "Labels"]
    );
    assert_eq!(c.items[4].1, vec!["org.opencontainers.image.title=demo"]);

    let h: Vec<String> = views::history(&page.state)
        .iter()
        .map(|l| format!("{:?} {} {}", l.layer, l.empty, l.instruction))
        .collect();
    assert_eq!(
        h,
        vec![
            "Some(0) false ADD file:rootfs.tar in /",
            "Some(1) false echo hello world > /etc/hello && rm /etc/os-release",
            "None true ENV APP=1",
            "Some(2) false COPY app /opt/app # buildkit",
        ]
    );

    let l = views::layers(&page.state);
    let lines: Vec<String> = l
        .lines
        .iter()
        .map(|x| {
            format!(
                "{} {} {} {:?} {}",
                x.index, x.changes, x.selected, x.status, x.instruction
            )
        })
        .collect();
    assert_eq!(
        lines,
        vec![
            // Layer 0 adds the root's children and everything below.
            "0 +9 ~0 -0 false Verified ADD file:rootfs.tar in /",
            "1 +1 ~1 -1 true Verified echo hello world > /etc/hello && rm /etc/os-release",
            "2 +3 ~0 -0 false Verified COPY app /opt/app # buildkit",
        ]
    );

    let w = views::waste(&page.state).unwrap();
    // usr/bin/big (4096) shadowed by its copy in layer 1, etc/hello (6)
    // rewritten, etc/os-release (8) deleted: 4110 of 4110 + 6 + 100 + 12 +
    // 4 + 4096 + 2000 + 8 stored.
    assert_eq!(w.wasted, "4.0K (4110 bytes)");
    let offenders: Vec<String> = w
        .offenders
        .iter()
        .map(|o| format!("{} {} {} {}", o.path, o.size, o.copies, o.layers))
        .collect();
    assert_eq!(
        offenders,
        vec![
            "/usr/bin/big 4.0K 1 0",
            "/etc/os-release 8 1 0",
            "/etc/hello 6 1 0"
        ]
    );
    assert_eq!(
        w.efficiency,
        format!("{:.1} %", 100.0 * (10322.0 - 4110.0) / 10322.0)
    );

    let s = views::status(&page.state);
    assert_eq!(s.hook, "ready");
    assert_eq!(s.steps.len(), 4);
    assert!(s.error.is_none() && s.problems.is_empty());
    let t = views::tree(&page.state);
    assert_eq!(t.caption, "The image up to layer 1");
}

#[test]
fn the_demo_image_is_on_the_pages_own_host() {
    use layerlens::app::demo_reference;
    assert_eq!(
        demo_reference("http://127.0.0.1:8080/").as_deref(),
        Some("127.0.0.1:8080/demo:latest")
    );
    assert_eq!(
        demo_reference("https://lens.example/sub/").as_deref(),
        Some("lens.example/demo:latest")
    );
    assert_eq!(demo_reference("file:///x"), None);
    assert_eq!(demo_reference(""), None);
    let mut page = Page::new(MemRegistry::new());
    page.perform = false;
    page.send(Msg::Started {
        query: String::new(),
        page_url: "http://127.0.0.1:8080/".into(),
    });
    page.send(Msg::DemoRequested);
    assert!(page.effects.iter().any(|e| matches!(e, Effect::Resolve(t)
        if t.reference.to_string() == "127.0.0.1:8080/demo:latest")));
    assert_eq!(page.url(), "?image=127.0.0.1:8080/demo:latest");
}

#[test]
fn the_input_follows_typing_and_is_bounded() {
    let mut page = Page::new(MemRegistry::new());
    page.send(Msg::InputChanged("alp".into()));
    assert_eq!(page.state.input, "alp");
    assert!(page.effects.is_empty(), "typing alone does nothing");
    page.send(Msg::InputChanged("é".repeat(2000)));
    assert!(page.state.input.len() <= 1024 && page.state.input.chars().all(|c| c == 'é'));
    // Before anything is loaded, the link is what was typed.
    page.send(Msg::InputChanged("alpine".into()));
    assert_eq!(page.state.route().to_query(), "?image=alpine");
}

#[test]
fn a_shell_notice_shows_in_the_status_until_the_next_reference() {
    let mut page = Page::new(demo_registry());
    page.submit("127.0.0.1:5000/demo:v1");
    assert_eq!(page.state.phase.hook(), "ready");
    page.send(Msg::Notice("layers are scanned on the main thread".into()));
    let status = views::status(&page.state);
    assert_eq!(
        status.notice.as_deref(),
        Some("layers are scanned on the main thread")
    );
    // Still ready: a notice is not an error.
    assert_eq!(page.state.phase.hook(), "ready");
    page.send(Msg::Notice("x".repeat(5000)));
    assert_eq!(page.state.notice.as_ref().map(String::len), Some(1024));
    page.submit("127.0.0.1:5000/demo:v1");
    assert_eq!(page.state.notice, None);
}

#[test]
fn a_chosen_theme_is_kept_and_saved() {
    use layerlens::app::Theme;
    let mut state = layerlens::app::State::default();
    assert_eq!(state.theme, Theme::System);
    let effects = layerlens::app::update(&mut state, Msg::ThemeChosen(Theme::Dark));
    assert_eq!(state.theme, Theme::Dark);
    assert!(
        matches!(effects.as_slice(), [Effect::SaveTheme(Theme::Dark)]),
        "{effects:?}"
    );
    for t in [Theme::System, Theme::Light, Theme::Dark] {
        assert_eq!(Theme::parse(t.name()), t);
    }
    assert_eq!(Theme::parse("sepia"), Theme::System);
}
