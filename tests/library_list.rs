//! `docker image ls` semantics: the cases the `docker image ls` reference
//! page documents (docker/cli `docs/reference/commandline/image_ls.md`),
//! replayed against images built in code. Expected values are written out
//! by hand from Docker's rules; IDs are the configs' own SHA-256.

#[path = "support/library.rs"]
mod lib_support;

use layerlens::library::{Library, LibraryError, LsOptions, Row};
use lib_support::*;

fn ls(lib: &Library, filters: &[&str]) -> Result<Vec<Row>, LibraryError> {
    let opts = LsOptions {
        filters: filters.iter().map(|s| s.to_string()).collect(),
        ..LsOptions::default()
    };
    lib.ls_rows(&opts, now())
}

/// (REPOSITORY, TAG, IMAGE ID) of each row.
fn names(rows: &[Row]) -> Vec<(String, String, String)> {
    rows.iter()
        .map(|r| (r.repository.clone(), r.tag.clone(), r.id_text(true)))
        .collect()
}

fn row(repo: &str, tag: &str, b: &Built) -> (String, String, String) {
    (repo.to_owned(), tag.to_owned(), b.short())
}

/// Splits tabwriter output into cells (columns are at least 3 spaces apart).
fn cells(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(|l| {
            l.split("   ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

#[test]
fn most_recent_first_one_row_per_tag_and_dangling_once() {
    // "List the most recently created images".
    let mut lib = Library::new();
    let postgres = simple("postgres", &ago(4 * DAY), 213_400_000);
    for t in ["9", "9.3", "9.3.5", "latest"] {
        pull(&mut lib, &format!("postgres:{t}"), &postgres);
    }
    let docker = simple("docker", &ago(20 * HOUR), 1_089_000_000);
    pull(&mut lib, "docker:latest", &docker);
    let committ = simple("committ", &ago(19 * HOUR), 1_089_000_000);
    pull(&mut lib, "committ:latest", &committ);
    // A dangling image: `multi:latest` re-pulled for another platform of
    // the same index moves both the tag and the digest reference.
    let amd = simple("multi-amd64", &ago(24 * HOUR), 1_089_000_000);
    let arm = simple("multi-arm64", &ago(HOUR), 5_000_000);
    let index = index_of(&[(&amd, "amd64"), (&arm, "arm64")]);
    lib.record(
        recorded("multi:latest", &amd).with_index(index.clone()),
        now(),
    )
    .unwrap();
    let report = lib
        .record(recorded("multi:latest", &arm).with_index(index), now())
        .unwrap();
    assert_eq!(report.moved.len(), 2, "tag and digest reference moved");

    let out = lib.ls(&LsOptions::default(), now()).unwrap();
    assert_eq!(
        cells(&out),
        vec![
            vec!["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"],
            vec!["multi", "latest", &arm.short(), "About an hour ago", "5MB"],
            vec![
                "committ",
                "latest",
                &committ.short(),
                "19 hours ago",
                "1.09GB"
            ],
            vec![
                "docker",
                "latest",
                &docker.short(),
                "20 hours ago",
                "1.09GB"
            ],
            vec!["<none>", "<none>", &amd.short(), "24 hours ago", "1.09GB"],
            vec!["postgres", "9", &postgres.short(), "4 days ago", "213MB"],
            vec!["postgres", "9.3", &postgres.short(), "4 days ago", "213MB"],
            vec![
                "postgres",
                "9.3.5",
                &postgres.short(),
                "4 days ago",
                "213MB"
            ],
            vec![
                "postgres",
                "latest",
                &postgres.short(),
                "4 days ago",
                "213MB"
            ],
        ]
    );
    // Columns line up: every IMAGE ID starts at the same column.
    let col = out.lines().next().unwrap().find("IMAGE ID").unwrap();
    for line in out.lines().skip(1) {
        assert_eq!(&line[col..col + 12].len(), &12);
        assert!(
            line[col..].starts_with(|c: char| c.is_ascii_hexdigit()),
            "{line}"
        );
    }
}

fn java_library() -> (Library, Built, Built, Built) {
    let mut lib = Library::new();
    let j8 = simple("java8", &ago(6 * DAY), 824_500_000);
    let j7 = simple("java7", &ago(90 * DAY), 656_300_000);
    let jl = simple("javalatest", &ago(150 * DAY), 603_900_000);
    pull(&mut lib, "java:8", &j8);
    pull(&mut lib, "java:7", &j7);
    pull(&mut lib, "java:latest", &jl);
    pull(&mut lib, "other:1", &simple("other", &ago(DAY), 1));
    (lib, j8, j7, jl)
}

#[test]
fn list_by_repository_and_tag() {
    // "List images by name and tag".
    let (lib, j8, j7, jl) = java_library();
    let by_name = |name: &str| {
        let opts = LsOptions {
            name: Some(name.to_owned()),
            ..LsOptions::default()
        };
        lib.ls(&opts, now()).unwrap()
    };
    assert_eq!(
        cells(&by_name("java")),
        vec![
            vec!["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"],
            // 824.5 is an exact tie: Go's %.3g rounds it to even.
            vec!["java", "8", &j8.short(), "6 days ago", "824MB"],
            vec!["java", "7", &j7.short(), "3 months ago", "656MB"],
            vec!["java", "latest", &jl.short(), "5 months ago", "604MB"],
        ]
    );
    assert_eq!(
        cells(&by_name("java:8")),
        vec![
            vec!["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"],
            vec!["java", "8", &j8.short(), "6 days ago", "824MB"],
        ]
    );
    // Nothing matches: the header alone, exactly as the tabwriter pads it.
    assert_eq!(
        by_name("java:0"),
        "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n"
    );
    // The match is exact: `jav` is not `java`.
    assert_eq!(cells(&by_name("jav")).len(), 1);
}

#[test]
fn digests_column_and_images_pulled_by_digest() {
    // "List image digests": an image pulled by digest has no tag.
    let mut lib = Library::new();
    let b = simple("busybox", &ago(8 * WEEK), 2_430_000);
    let digest = b.manifest_digest();
    pull(
        &mut lib,
        &format!("localhost:5000/test/busybox@{digest}"),
        &b,
    );
    let opts = LsOptions {
        digests: true,
        ..LsOptions::default()
    };
    assert_eq!(
        cells(&lib.ls(&opts, now()).unwrap()),
        vec![
            vec!["REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED", "SIZE"],
            vec![
                "localhost:5000/test/busybox",
                "<none>",
                &digest.to_string(),
                &b.short(),
                "8 weeks ago",
                "2.43MB"
            ],
        ]
    );
    // Without --digests the same image is one row with an empty DIGEST.
    let rows = ls(&lib, &[]).unwrap();
    assert_eq!(
        names(&rows),
        vec![row("localhost:5000/test/busybox", "<none>", &b)]
    );
    assert_eq!(rows[0].digest, "");
    // A tagged image shows the digest its repository was pulled by.
    let t = simple("tagged", &ago(DAY), 1);
    pull(&mut lib, "tagged:v1", &t);
    let rows = lib.ls_rows(&opts, now()).unwrap();
    assert_eq!(rows[0].repository, "tagged");
    assert_eq!(rows[0].digest, t.manifest_digest().to_string());
}

#[test]
fn a_moved_tag_leaves_the_old_image_listed_and_dangling() {
    let mut lib = Library::new();
    let old = simple("app-v1", &ago(2 * DAY), 10);
    let new = simple("app-v2", &ago(HOUR), 20);
    pull(&mut lib, "app:latest", &old);
    let report = pull(&mut lib, "app:latest", &new);
    assert_eq!(report.moved.len(), 1);
    assert_eq!(report.moved[0].1, old.manifest_digest());

    // Both images stay; the old one keeps its digest reference, so Docker
    // lists it under its repository with TAG <none>.
    assert_eq!(
        names(&ls(&lib, &[]).unwrap()),
        vec![row("app", "latest", &new), row("app", "<none>", &old)]
    );
    // dangling=true: images without a tag.
    assert_eq!(
        names(&ls(&lib, &["dangling=true"]).unwrap()),
        vec![row("app", "<none>", &old)]
    );
    // dangling=false hides only images with no reference at all (Docker's
    // asymmetry): the old image still has its digest reference.
    assert_eq!(ls(&lib, &["dangling=false"]).unwrap().len(), 2);

    // Removing that digest reference leaves nothing naming it: rm deletes it.
    let removal = lib
        .rm(&format!("app@{}", old.manifest_digest()), false)
        .unwrap();
    assert_eq!(removal.deleted().collect::<Vec<_>>(), vec![&old.id()]);
}

#[test]
fn none_none_images_and_the_dangling_filter() {
    // "Show untagged images (dangling)".
    let mut lib = Library::new();
    let a = simple("a", &ago(4 * WEEK), 0);
    let b = simple("b", &ago(12 * WEEK), 2_489_000);
    let index = index_of(&[(&a, "amd64"), (&b, "arm64")]);
    lib.record(recorded("img:1", &a).with_index(index.clone()), now())
        .unwrap();
    lib.record(recorded("img:1", &b).with_index(index), now())
        .unwrap();
    let tagged = simple("tagged", &ago(DAY), 1);
    pull(&mut lib, "tagged:1", &tagged);

    let out = lib
        .ls(
            &LsOptions {
                filters: vec!["dangling=true".into()],
                ..LsOptions::default()
            },
            now(),
        )
        .unwrap();
    assert_eq!(
        cells(&out),
        vec![
            vec!["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"],
            vec!["<none>", "<none>", &a.short(), "4 weeks ago", "0B"],
        ]
    );
    assert_eq!(
        names(&ls(&lib, &["dangling=false"]).unwrap()),
        vec![row("tagged", "1", &tagged), row("img", "1", &b)]
    );
    // `1` and `0` are booleans too; both values at once is a conflict.
    assert_eq!(ls(&lib, &["dangling=1"]).unwrap().len(), 1);
    let e = ls(&lib, &["dangling=true", "dangling=false"]).unwrap_err();
    assert_eq!(e.to_string(), "invalid filter 'dangling=[false true]'");
    // The quiet form lists IDs (`docker rmi $(docker images -f dangling=true -q)`).
    let q = lib
        .ls(
            &LsOptions {
                filters: vec!["dangling=true".into()],
                quiet: true,
                ..LsOptions::default()
            },
            now(),
        )
        .unwrap();
    assert_eq!(q, format!("{}\n", a.short()));
}

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

#[test]
#[ignore = "prints a sample for a person to look at"]
fn print_sample() {
    let (lib, ..) = busybox_library();
    let opts = LsOptions {
        digests: true,
        ..LsOptions::default()
    };
    println!("{}", lib.ls(&LsOptions::default(), now()).unwrap());
    println!("{}", lib.ls(&opts, now()).unwrap());
}
