//! `docker image ls` semantics: the cases the `docker image ls` reference
//! page documents (docker/cli `docs/reference/commandline/image_ls.md`),
//! replayed against images built in code. Expected values are written out
//! by hand from Docker's rules; IDs are the configs' own SHA-256.

use layerlens::library::{Library, LsOptions};
use layerlens_testkit::library::*;

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
fn two_manifests_of_one_config_are_one_image_to_dangling_and_prune() {
    // An OCI and a Docker v2s2 manifest of the same config: one IMAGE ID.
    let mut lib = Library::new();
    let oci = simple("shared", &ago(2 * DAY), 10);
    let v2s2 = docker_v2s2(&oci);
    assert_ne!(oci.manifest_digest(), v2s2.manifest_digest());
    pull(&mut lib, "app:oci", &oci);
    pull(&mut lib, "app:v2s2", &v2s2);
    // The tag of the OCI manifest moves away, to another image.
    let other = simple("other", &ago(HOUR), 20);
    pull(&mut lib, "app:oci", &other);
    assert!(!lib.is_dangling(&oci.id()), "app:v2s2 still names the ID");

    // Listed as Docker lists it: the OCI manifest keeps only its digest.
    let all = ls(&lib, &[]).unwrap();
    assert_eq!(
        names(&all),
        vec![
            row("app", "oci", &other),
            row("app", "<none>", &oci),
            row("app", "v2s2", &v2s2),
        ]
    );
    let none_row = all.iter().find(|r| r.tag == "<none>").unwrap();
    assert_eq!(none_row.manifest, oci.manifest_digest());
    assert!(!none_row.dangling, "a REPO <none> row of a tagged ID");
    assert!(all.iter().all(|r| !r.dangling));
    // dangling=true does not match it; dangling=false does.
    assert!(ls(&lib, &["dangling=true"]).unwrap().is_empty());
    assert_eq!(ls(&lib, &["dangling=false"]).unwrap().len(), 3);
    // prune keeps it.
    let removal = lib.prune(false, &[], now()).unwrap();
    assert!(removal.events.is_empty(), "{:?}", removal.lines());
    assert_eq!(lib.images().count(), 3);

    // Once the last tag of the ID moves away too, both manifests dangle,
    // and the list, the filter and prune agree again.
    let third = simple("third", &ago(HOUR / 2), 30);
    pull(&mut lib, "app:v2s2", &third);
    assert!(lib.is_dangling(&oci.id()));
    let dangling = ls(&lib, &["dangling=true"]).unwrap();
    assert_eq!(
        names(&dangling),
        vec![row("app", "<none>", &oci), row("app", "<none>", &v2s2)]
    );
    assert!(dangling.iter().all(|r| r.dangling));
    let removal = lib.prune(false, &[], now()).unwrap();
    assert_eq!(removal.deleted().collect::<Vec<_>>(), vec![&oci.id()]);
    assert_eq!(
        names(&ls(&lib, &[]).unwrap()),
        vec![row("app", "v2s2", &third), row("app", "oci", &other)]
    );
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
