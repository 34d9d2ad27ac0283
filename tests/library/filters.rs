//! `docker image ls` filters: the cases the `docker image ls` reference
//! page documents (docker/cli `docs/reference/commandline/image_ls.md`),
//! replayed against images built in code. Expected values are written out
//! by hand from Docker's rules; IDs are the configs' own SHA-256.

use layerlens::library::{Library, LsOptions};
use layerlens_testkit::library::*;

#[test]
fn label_presence_and_value() {
    // "Show images with a given label".
    let mut lib = Library::new();
    let l1 = layer("l1", 1);
    let m1 = image(
        Some(&ago(MIN)),
        &[("com.example.version", "1.0"), ("tier", "web")],
        &[&l1],
        "m1",
    );
    let m2 = image(
        Some(&ago(MIN + 5)),
        &[("com.example.version", "2.0")],
        &[&l1],
        "m2",
    );
    let none = image(Some(&ago(MIN + 9)), &[], &[&l1], "none");
    pull(&mut lib, "match-me-1", &m1);
    pull(&mut lib, "match-me-2", &m2);
    pull(&mut lib, "no-label", &none);

    assert_eq!(
        names(&ls(&lib, &["label=com.example.version"]).unwrap()),
        vec![
            row("match-me-1", "latest", &m1),
            row("match-me-2", "latest", &m2)
        ]
    );
    assert_eq!(
        names(&ls(&lib, &["label=com.example.version=1.0"]).unwrap()),
        vec![row("match-me-1", "latest", &m1)]
    );
    assert!(ls(&lib, &["label=com.example.version=0.1"])
        .unwrap()
        .is_empty());
    // Several label filters must all hold.
    assert_eq!(
        names(&ls(&lib, &["label=com.example.version", "label=tier=web"]).unwrap()),
        vec![row("match-me-1", "latest", &m1)]
    );
    assert!(ls(&lib, &["label=com.example.version=2.0", "label=tier"])
        .unwrap()
        .is_empty());
    // "About a minute ago", as the page's example prints.
    assert_eq!(
        ls(&lib, &[]).unwrap()[0].created_since(now()),
        "About a minute ago"
    );
}

fn time_library() -> (Library, Built, Built, Built) {
    let mut lib = Library::new();
    let i1 = simple("image1", &ago(4 * MIN), 188_300_000);
    let i2 = simple("image2", &ago(9 * MIN), 188_300_000);
    let i3 = simple("image3", &ago(25 * MIN), 188_300_000);
    pull(&mut lib, "image1", &i1);
    pull(&mut lib, "image2", &i2);
    pull(&mut lib, "image3", &i3);
    (lib, i1, i2, i3)
}

#[test]
fn before_and_since_by_creation_order() {
    // "Filter images by time".
    let (lib, i1, i2, i3) = time_library();
    let all = names(&ls(&lib, &[]).unwrap());
    assert_eq!(
        all,
        vec![
            row("image1", "latest", &i1),
            row("image2", "latest", &i2),
            row("image3", "latest", &i3)
        ]
    );
    assert_eq!(
        names(&ls(&lib, &["before=image1"]).unwrap()),
        vec![row("image2", "latest", &i2), row("image3", "latest", &i3)]
    );
    assert_eq!(
        names(&ls(&lib, &["since=image3"]).unwrap()),
        vec![row("image1", "latest", &i1), row("image2", "latest", &i2)]
    );
    // IMAGE may be a name:tag, a full ID, a short ID or an ID prefix.
    for name in [
        "image1:latest".to_owned(),
        i1.id().to_string(),
        i1.id().hex().to_owned(),
        i1.short(),
    ] {
        assert_eq!(
            ls(&lib, &[&format!("before={name}")]).unwrap().len(),
            2,
            "{name}"
        );
    }
    // Several values: the strictest bound wins (ANDed).
    assert_eq!(
        names(&ls(&lib, &["before=image1", "before=image2"]).unwrap()),
        vec![row("image3", "latest", &i3)]
    );
    assert_eq!(
        names(&ls(&lib, &["since=image3", "before=image1"]).unwrap()),
        vec![row("image2", "latest", &i2)]
    );
    // until= is a before time; durations count back from now.
    assert_eq!(
        names(&ls(&lib, &["until=5m"]).unwrap()),
        vec![row("image2", "latest", &i2), row("image3", "latest", &i3)]
    );
    let e = ls(&lib, &["before=nope"]).unwrap_err();
    assert_eq!(e.to_string(), "No such image: nope:latest");
}

#[test]
fn images_without_a_creation_time() {
    let (mut lib, _, _, _) = time_library();
    let l = layer("undated", 5);
    let undated = image(None, &[], &[&l], "undated");
    pull(&mut lib, "undated", &undated);
    // Listed last (the API reports Created 0), dropped by time filters.
    let rows = ls(&lib, &[]).unwrap();
    assert_eq!(rows.last().unwrap().repository, "undated");
    assert_eq!(
        rows.last().unwrap().created_at(),
        "1970-01-01 00:00:00 +0000 UTC"
    );
    assert!(ls(&lib, &["since=image3"])
        .unwrap()
        .iter()
        .all(|r| r.repository != "undated"));
    assert!(ls(&lib, &["before=image1"])
        .unwrap()
        .iter()
        .all(|r| r.repository != "undated"));
}

fn busybox_library() -> (Library, Built, Built, Built) {
    let mut lib = Library::new();
    let main = simple("busybox", &ago(5 * WEEK), 1_090_000);
    let musl = simple("busybox-musl", &ago(5 * WEEK + 1), 1_210_000);
    let glibc = simple("busybox-glibc", &ago(5 * WEEK + 2), 4_190_000);
    pull(&mut lib, "busybox:latest", &main);
    lib.tag("busybox:latest", "busybox:uclibc").unwrap();
    pull(&mut lib, "busybox:musl", &musl);
    pull(&mut lib, "busybox:glibc", &glibc);
    pull(
        &mut lib,
        "localhost:5000/team/busybox:dev",
        &simple("local", &ago(6 * WEEK), 1),
    );
    (lib, main, musl, glibc)
}

#[test]
fn reference_globs() {
    // "Filter images by reference".
    let (lib, main, musl, glibc) = busybox_library();
    assert_eq!(
        cells(
            &lib.ls(
                &LsOptions {
                    filters: vec!["reference=busybox".into()],
                    ..LsOptions::default()
                },
                now()
            )
            .unwrap()
        ),
        vec![
            vec!["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"],
            vec!["busybox", "latest", &main.short(), "5 weeks ago", "1.09MB"],
            vec!["busybox", "uclibc", &main.short(), "5 weeks ago", "1.09MB"],
            vec!["busybox", "musl", &musl.short(), "5 weeks ago", "1.21MB"],
            vec!["busybox", "glibc", &glibc.short(), "5 weeks ago", "4.19MB"],
        ]
    );
    // Only the references that match are listed: `latest` goes, `uclibc` stays.
    assert_eq!(
        names(&ls(&lib, &["reference=busy*:*libc"]).unwrap()),
        vec![
            row("busybox", "uclibc", &main),
            row("busybox", "glibc", &glibc)
        ]
    );
    // Several patterns: either matches.
    assert_eq!(
        names(&ls(&lib, &["reference=busy*:uclibc", "reference=busy*:glibc"]).unwrap()),
        vec![
            row("busybox", "uclibc", &main),
            row("busybox", "glibc", &glibc)
        ]
    );
    assert_eq!(
        names(&ls(&lib, &["reference=*:latest"]).unwrap()),
        vec![row("busybox", "latest", &main)]
    );
    // `*` does not cross `/`; the registry is part of the familiar name.
    assert_eq!(ls(&lib, &["reference=*"]).unwrap().len(), 4);
    assert_eq!(
        ls(&lib, &["reference=localhost:5000/*/*"]).unwrap().len(),
        1
    );
    assert_eq!(
        ls(&lib, &["reference=localhost:5000/team/busybox:dev"])
            .unwrap()
            .len(),
        1
    );
    // Reference and dangling combine (ANDed keys).
    assert!(ls(&lib, &["reference=busybox", "dangling=true"])
        .unwrap()
        .is_empty());
    let e = ls(&lib, &["reference=[busy"]).unwrap_err();
    assert!(e.to_string().contains("syntax error in pattern"), "{e}");
}

#[test]
fn invalid_filters_say_which() {
    let (lib, ..) = busybox_library();
    let err = |f: &[&str]| ls(&lib, f).unwrap_err().to_string();
    assert_eq!(err(&["foo=bar"]), "invalid filter 'foo'");
    assert_eq!(
        err(&["dangling=maybe"]),
        "invalid filter 'dangling=[maybe]'"
    );
    assert_eq!(
        err(&["dangling"]),
        "bad format of filter (expected name=value)"
    );
    assert_eq!(
        err(&["until=soon"]),
        "failed to parse value as time or duration: \"soon\""
    );
    // Names are case-insensitive and trimmed, as the CLI reads them.
    assert_eq!(ls(&lib, &[" Reference = busybox:musl "]).unwrap().len(), 1);
}
