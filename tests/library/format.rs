//! `docker image ls --format`: the template fields and functions, Docker's
//! table output, `json`, and errors that say where. Plus go-units' own test
//! table for the relative times and sizes Docker prints
//! (`tests/fixtures/go-units.json`, copied from github.com/docker/go-units).

use layerlens::dockerfmt::human::{human_duration, human_size_with_precision, image_size};
use layerlens::dockerfmt::template::TemplateErrorKind;
use layerlens::library::{ImageFormat, Library, LibraryError, LsOptions};
use layerlens_testkit::library::*;

fn fixture() -> serde_json::Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/go-units.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn go_units_human_duration_table() {
    let f = fixture();
    let cases = f["humanDuration"].as_array().unwrap();
    assert_eq!(cases.len(), 52);
    for c in cases {
        let nanos = c["nanos"].as_i64().unwrap();
        assert_eq!(
            human_duration(i128::from(nanos)),
            c["want"].as_str().unwrap(),
            "{nanos} ns"
        );
    }
}

#[test]
fn go_units_human_size_table() {
    let f = fixture();
    let cases = f["humanSize"].as_array().unwrap();
    assert_eq!(cases.len(), 9);
    for c in cases {
        let size = c["size"].as_f64().unwrap();
        assert_eq!(
            human_size_with_precision(size, 4),
            c["want"].as_str().unwrap(),
            "{size}"
        );
    }
}

#[test]
fn sizes_as_docker_image_ls_prints_them() {
    // HumanSizeWithPrecision(size, 3), decimal units, no space.
    for (bytes, want) in [
        (0, "0B"),
        (999, "999B"),
        (1000, "1kB"),
        (7_797_000, "7.8MB"),
        (72_900_000, "72.9MB"),
        (5_613_000, "5.61MB"),
        (77_800_000, "77.8MB"),
        (1_089_000_000, "1.09GB"),
        (12_250, "12.2kB"),   // an exact tie rounds to even, as Go does
        (999_999, "1e+03kB"), // Go's %g switches to an exponent here
        (16_430_000, "16.4MB"),
    ] {
        assert_eq!(image_size(bytes), want, "{bytes}");
    }
}

fn busybox() -> (Library, Built) {
    let mut lib = Library::new();
    let b = simple("busybox", "2024-04-24T09:30:15Z", 4_261_000);
    pull(&mut lib, "busybox:latest", &b);
    (lib, b)
}

fn ls_format(lib: &Library, format: &str) -> Result<String, LibraryError> {
    lib.ls(
        &LsOptions {
            format: Some(format.to_owned()),
            ..LsOptions::default()
        },
        now(),
    )
}

#[test]
fn every_field() {
    let (lib, b) = busybox();
    let out = ls_format(
        &lib,
        "{{.ID}}|{{.Repository}}|{{.Tag}}|{{.Digest}}|{{.CreatedSince}}|{{.CreatedAt}}|{{.Size}}|{{.Containers}}|{{.VirtualSize}}|{{.SharedSize}}|{{.UniqueSize}}",
    )
    .unwrap();
    assert_eq!(
        out,
        format!(
            "{}|busybox|latest|{}|7 days ago|2024-04-24 09:30:15 +0000 UTC|4.26MB|N/A|4.261MB|N/A|N/A\n",
            b.short(),
            b.manifest_digest()
        )
    );
}

#[test]
fn the_documented_format_examples() {
    let mut lib = Library::new();
    let pg = simple("postgres", &ago(4 * DAY), 1);
    for t in ["9", "latest"] {
        pull(&mut lib, &format!("postgres:{t}"), &pg);
    }
    let docker = simple("docker", &ago(20 * HOUR), 1);
    pull(&mut lib, "docker:latest", &docker);

    // "{{.ID}}: {{.Repository}}" — one line per row, no header.
    assert_eq!(
        ls_format(&lib, "{{.ID}}: {{.Repository}}").unwrap(),
        format!(
            "{d}: docker\n{p}: postgres\n{p}: postgres\n",
            d = docker.short(),
            p = pg.short()
        )
    );
    // "table {{.ID}}\t{{.Repository}}\t{{.Tag}}" — header and aligned columns:
    // IMAGE ID is 12 + 3 wide, REPOSITORY 10 + 3.
    assert_eq!(
        ls_format(&lib, r"table {{.ID}}\t{{.Repository}}\t{{.Tag}}").unwrap(),
        format!(
            "{:<15}{:<13}TAG\n{:<15}{:<13}latest\n{:<15}{:<13}9\n{:<15}{:<13}latest\n",
            "IMAGE ID",
            "REPOSITORY",
            docker.short(),
            "docker",
            pg.short(),
            "postgres",
            pg.short(),
            "postgres"
        )
    );
}

#[test]
fn json_output() {
    let (lib, b) = busybox();
    let line = ls_format(&lib, "json").unwrap();
    let want = format!(
        "{{\"Containers\":\"N/A\",\"CreatedAt\":\"2024-04-24 09:30:15 +0000 UTC\",\"CreatedSince\":\"7 days ago\",\"Digest\":\"\\u003cnone\\u003e\",\"ID\":\"{}\",\"Repository\":\"busybox\",\"SharedSize\":\"N/A\",\"Size\":\"4.26MB\",\"Tag\":\"latest\",\"UniqueSize\":\"N/A\",\"VirtualSize\":\"4.261MB\"}}\n",
        b.short()
    );
    assert_eq!(line, want);
    let v: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
    assert_eq!(v["Digest"], "<none>");
    // `json` of one field is a JSON string, without HTML escaping.
    assert_eq!(
        ls_format(&lib, "{{json .Repository}} {{json .Digest}}").unwrap(),
        "\"busybox\" \"<none>\"\n"
    );
}

#[test]
fn escapes_tables_and_digests() {
    let (lib, b) = busybox();
    // Outside a table, \t is a plain tab.
    assert_eq!(
        ls_format(&lib, r"{{.Repository}}\t{{.Tag}}").unwrap(),
        "busybox\tlatest\n"
    );
    assert_eq!(
        ls_format(&lib, r"{{.Repository}}\n{{.Tag}}").unwrap(),
        "busybox\nlatest\n"
    );
    // A table format gets a DIGEST column with --digests.
    let out = lib
        .ls(
            &LsOptions {
                format: Some("table {{.ID}}".into()),
                digests: true,
                ..LsOptions::default()
            },
            now(),
        )
        .unwrap();
    assert_eq!(
        out,
        format!(
            "{:<15}DIGEST\n{:<15}{}\n",
            "IMAGE ID",
            b.short(),
            b.manifest_digest()
        )
    );
    // --no-trunc prints the whole ID; --quiet only IDs.
    let full = lib
        .ls(
            &LsOptions {
                format: Some("{{.ID}}".into()),
                no_trunc: true,
                ..LsOptions::default()
            },
            now(),
        )
        .unwrap();
    assert_eq!(full, format!("{}\n", b.id()));
    // raw
    assert_eq!(
        ls_format(&lib, "raw").unwrap(),
        format!(
            "repository: busybox\ntag: latest\nimage_id: {}\ncreated_at: 2024-04-24 09:30:15 +0000 UTC\nvirtual_size: 4.26MB\n\n",
            b.short()
        )
    );
}

#[test]
fn functions_conditions_and_trim_markers() {
    let (lib, b) = busybox();
    let one = |f: &str| {
        ls_format(&lib, f)
            .unwrap()
            .trim_end_matches('\n')
            .to_owned()
    };
    assert_eq!(
        one("{{upper .Repository}}:{{.Tag | upper}}"),
        "BUSYBOX:LATEST"
    );
    assert_eq!(
        one("{{title .Repository}} {{lower \"ABC\"}}"),
        "Busybox abc"
    );
    assert_eq!(one("[{{pad .Tag 2 1}}]"), "[  latest ]");
    assert_eq!(one("{{truncate .Repository 4}}"), "busy");
    assert_eq!(
        one("{{join (split .CreatedAt \" \") \"_\"}}"),
        "2024-04-24_09:30:15_+0000_UTC"
    );
    assert_eq!(one("{{index (split .CreatedAt \" \") 1}}"), "09:30:15");
    assert_eq!(one("{{len .Repository}}"), "7");
    assert_eq!(
        one("{{printf \"%-10s|%5s|\" .Repository .Tag}}"),
        "busybox   |latest|"
    );
    assert_eq!(
        one("{{if eq .Tag \"latest\"}}L{{else if eq .Tag \"x\"}}X{{else}}-{{end}}"),
        "L"
    );
    assert_eq!(one("{{if and .Tag (not .Digest)}}a{{else}}b{{end}}"), "b");
    assert_eq!(one("{{.Repository -}}  :  {{- .Tag}}"), "busybox:latest");
    assert_eq!(one("{{/* a comment */}}{{.Tag}}"), "latest");
    // Docker replaces the two characters `\t` before parsing, even inside a
    // raw string.
    assert_eq!(one("{{`raw\\t` }}"), "raw\t");
    assert_eq!(
        one("{{.ID | printf \"id=%s\"}}"),
        format!("id={}", b.short())
    );
    // The table header runs the same template on the column names;
    // json/upper/… leave the names as they are, pad pads them.
    assert_eq!(
        ls_format(&lib, "table {{upper .Repository}}: {{pad .Tag 1 0}}").unwrap(),
        "REPOSITORY:  TAG\nBUSYBOX:  latest\n"
    );
}

fn err(lib: &Library, format: &str) -> layerlens::dockerfmt::TemplateError {
    match ls_format(lib, format).unwrap_err() {
        LibraryError::Template(e) => e,
        other => panic!("not a template error: {other}"),
    }
}

#[test]
fn invalid_templates_say_where() {
    let (lib, _) = busybox();
    let e = err(&lib, "{{x .ID}}");
    assert_eq!(
        e.to_string(),
        "template parsing error: template: :1: function \"x\" not defined"
    );
    assert_eq!((e.kind(), e.offset()), (TemplateErrorKind::Parse, 2));

    let e = err(&lib, "{{.Foo}}");
    assert_eq!(
        e.to_string(),
        "template parsing error: template: :1:2: executing \"\" at <.Foo>: can't evaluate field Foo in type *formatter.imageContext"
    );
    assert_eq!(e.offset(), 2);

    // Offsets point into what was typed: `table ` and the two-character `\t`.
    let typed = r"table {{.ID}}\t{{.Nope}}";
    let e = err(&lib, typed);
    assert_eq!(e.offset(), typed.find(".Nope").unwrap());
    assert!(
        e.to_string().contains(":1:10: executing \"\" at <.Nope>"),
        "{e}"
    );
    // A `\n` escape starts line 2.
    let e = err(&lib, r"{{.ID}}\n{{.Bad}}");
    assert!(e.to_string().contains("template: :2:2:"), "{e}");

    for (format, message) in [
        ("{{.ID", "unclosed action"),
        ("{{if .Tag}}x", "unexpected EOF"),
        ("{{end}}", "unexpected {{end}}"),
        ("x{{else}}", "unexpected {{else}}"),
        ("{{}}", "missing value for command"),
        ("{{if}}x{{end}}", "missing value for if"),
        ("{{.ID}", "unexpected \"}\" in command"),
        ("{{\"abc}}", "unterminated quoted string"),
        ("{{html .ID}}", "function \"html\" is not supported here"),
        (
            "{{range .}}{{end}}",
            "{{range}} is not supported here (only if/else/end)",
        ),
        ("{{$x := .ID}}", "variables are not supported here"),
        ("{{/* open", "unclosed comment"),
    ] {
        let e = err(&lib, format);
        assert_eq!(e.message(), message, "{format}");
        assert_eq!(e.kind(), TemplateErrorKind::Parse, "{format}");
        assert!(e.offset() <= format.len(), "{format}");
    }
    // Exec errors surface when a row is rendered.
    let e = err(&lib, "{{upper}}");
    assert_eq!(e.message(), "wrong number of args for upper: want 1 got 0");
    assert_eq!(e.kind(), TemplateErrorKind::Exec);
    let e = err(&lib, "{{join .Tag \",\"}}");
    assert_eq!(
        e.message(),
        "wrong type for value; expected []string; got string"
    );
    let e = err(&lib, "{{pad .ID 1 99999}}");
    assert!(e.message().contains("outside"), "{e}");
    let e = err(&lib, "{{.Tag.Length}}");
    assert_eq!(e.message(), "can't evaluate field Length in type string");
}

#[test]
fn bad_templates_fail_even_on_an_empty_list() {
    let lib = Library::new();
    assert!(ls_format(&lib, "{{.Nope}}").is_err());
    assert!(ls_format(&lib, "table {{.ID}").is_err());
    assert_eq!(ls_format(&lib, "table {{.ID}}").unwrap(), "IMAGE ID\n");
    assert_eq!(ls_format(&lib, "{{.ID}}").unwrap(), "");
}

#[test]
fn hostile_templates_are_bounded() {
    let deep = "{{if .ID}}".repeat(200) + &"{{end}}".repeat(200);
    assert!(ImageFormat::new(&deep, false, false).is_err());
    let long = "x".repeat(100_000);
    assert!(ImageFormat::new(&long, false, false).is_err());
    let wide = "{{printf \"%999999999s\" .ID}}";
    let (lib, _) = busybox();
    let out = ls_format(&lib, wide).unwrap();
    assert!(out.len() <= 4097 + 1, "{}", out.len());
}
