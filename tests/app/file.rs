//! The file viewer, natively: the text/binary rule, image types by magic
//! bytes, the hex dump and line numbering (goldens written by hand, the hex
//! one checked against `hexdump -C`), display limits, symbolic link
//! resolution (relative, absolute, `..`, through links, loops, dangling),
//! hard links, and `update()` for selecting, re-selecting, cancelling,
//! following, downloading and a layer that no longer matches its digest —
//! with real extractions through the in-memory registry.

use layerlens_testkit::png;

use layerlens::app::file::content::{
    classify, hex_dump, image_type, is_text, raster_size, text_listing, Kind, DISPLAY_LIMIT,
    MAX_TEXT_LINES,
};
use layerlens::app::file::links::{content_source, file_source, resolve_symlink, LinkProblem};
use layerlens::app::file::{download_name, Check, ExtractId, FileEffect, FileMsg, ShowAs};
use layerlens::app::views::{self, FileContentView, Shown};
use layerlens::app::{update, Effect, Msg};
use layerlens_testkit::app::*;
use layerlens_testkit::rng::Rng;

// ---------------------------------------------------------------- content

#[test]
fn the_text_rule() {
    assert!(is_text(b""));
    assert!(is_text(b"hello\n"));
    assert!(is_text(
        "grüße, 日本語\r\n\ttab\x0c\x1b[1mbold\x1b[0m".as_bytes()
    ));
    // A NUL makes it binary, even in otherwise readable bytes.
    assert!(!is_text(b"hello\0world"));
    // Invalid UTF-8 (a lone continuation byte, Latin-1).
    assert!(!is_text(b"caf\xe9 au lait"));
    assert!(!is_text(b"\x80abc"));
    // A character cut by the end of what was examined is still text…
    assert!(is_text(&"ab日".as_bytes()[..4]));
    // …but not an invalid byte followed by more.
    assert!(!is_text(b"ab\xe6\x97x"));
    // Control characters: at most one in a hundred.
    let mut man = vec![b'a'; 99];
    man.push(0x08);
    assert!(is_text(&man));
    let mut noisy = vec![b'a'; 98];
    noisy.extend_from_slice(&[0x01, 0x02]);
    assert!(!is_text(&noisy));
    assert!(!is_text(b"\x7fELF\x02\x01\x01"));
}

#[test]
fn image_types_by_magic_bytes() {
    let dot = png::png(1, 1, &[[255, 0, 0, 255]]);
    assert_eq!(image_type(&dot, b"anything.bin"), Some("image/png"));
    assert_eq!(
        image_type(b"\xff\xd8\xff\xe0\0\x10JFIF", b"x"),
        Some("image/jpeg")
    );
    assert_eq!(image_type(b"GIF89a\x01\0\x01\0", b"x"), Some("image/gif"));
    assert_eq!(image_type(b"GIF87a\x01\0\x01\0", b"x"), Some("image/gif"));
    assert_eq!(
        image_type(b"RIFF\x24\0\0\0WEBPVP8 ", b"x"),
        Some("image/webp")
    );
    assert_eq!(image_type(b"RIFF\x24\0\0\0WAVEfmt ", b"x.webp"), None);
    // Weak signatures need the extension too.
    let bmp = [b"BM".as_slice(), &[0u8; 30]].concat();
    assert_eq!(image_type(&bmp, b"usr/share/a.BMP"), Some("image/bmp"));
    assert_eq!(image_type(&bmp, b"usr/share/a.txt"), None);
    let ico = [0u8, 0, 1, 0, 1, 0, 16, 16];
    assert_eq!(image_type(&ico, b"favicon.ico"), Some("image/x-icon"));
    assert_eq!(image_type(&ico, b"favicon"), None);
    // SVG: the first element is <svg>, after a prolog, comments, a doctype.
    let svg = b"\xef\xbb\xbf<?xml version=\"1.0\"?>\n<!-- made by hand -->\n<!DOCTYPE svg>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>";
    assert_eq!(image_type(svg, b"logo"), Some("image/svg+xml"));
    assert_eq!(image_type(b"<html><svg/></html>", b"page.svg"), None);
    assert_eq!(
        image_type(b"just text", b"a.png"),
        None,
        "the extension alone is not enough"
    );
    assert_eq!(classify(&dot, b"x"), Kind::Image("image/png"));
    assert_eq!(classify(b"hi\n", b"x"), Kind::Text);
    assert_eq!(classify(b"\0\x01", b"x"), Kind::Binary);
}

#[test]
fn hex_dump_is_hexdump_c() {
    // `printf 'hello from layerlens\n' | hexdump -C`, without its final
    // offset-only line.
    assert_text(
        &hex_dump(b"hello from layerlens\n"),
        "
00000000  68 65 6c 6c 6f 20 66 72  6f 6d 20 6c 61 79 65 72  |hello from layer|
00000010  6c 65 6e 73 0a                                    |lens.|
",
    );
    let bytes: Vec<u8> = (0u8..=0x27).map(|b| b.wrapping_mul(7)).collect();
    assert_text(
        &hex_dump(&bytes),
        "
00000000  00 07 0e 15 1c 23 2a 31  38 3f 46 4d 54 5b 62 69  |.....#*18?FMT[bi|
00000010  70 77 7e 85 8c 93 9a a1  a8 af b6 bd c4 cb d2 d9  |pw~.............|
00000020  e0 e7 ee f5 fc 03 0a 11                           |........|
",
    );
    assert_eq!(hex_dump(b""), "");
}

#[test]
fn line_numbering() {
    let l = text_listing(b"one\ntwo\r\nthree\n", true, 100);
    assert_eq!(
        (l.gutter.as_str(), l.body.as_str()),
        ("1\n2\n3", "one\ntwo\nthree")
    );
    assert_eq!((l.lines, l.truncated), (3, false));
    // No final newline: the last line still counts; empty lines are lines.
    let l = text_listing(b"a\n\nb", true, 100);
    assert_eq!((l.gutter.as_str(), l.body.as_str()), ("1\n2\n3", "a\n\nb"));
    let l = text_listing(b"\n", true, 100);
    assert_eq!((l.gutter.as_str(), l.lines), ("1", 1));
    let l = text_listing(b"", true, 100);
    assert_eq!((l.lines, l.body.as_str()), (0, ""));
    // Controls become visible pictures; tabs stay.
    let l = text_listing(b"\x1b[1m\tx\x07", true, 100);
    assert_eq!(l.body, "\u{241b}[1m\tx\u{2407}");
    // Bounded by lines, and by what was received.
    let many: String = (1..=50).map(|i| format!("line {i}\n")).collect();
    let l = text_listing(many.as_bytes(), true, 10);
    assert_eq!((l.lines, l.truncated), (10, true));
    assert!(l.gutter.ends_with("9\n10") && l.body.ends_with("line 10"));
    let l = text_listing(b"a\nb", false, 10);
    assert!(
        l.truncated,
        "a head that is not the whole file is truncated"
    );
}

#[test]
fn download_names() {
    assert_eq!(download_name(b"etc/hello"), "hello");
    assert_eq!(download_name(b"data/blob.bin"), "blob.bin");
    assert_eq!(download_name(b"a/b<c>:d\x01"), "b_c__d_");
    assert_eq!(download_name(b"caf\xe9"), "caf\u{fffd}");
    assert_eq!(download_name(b""), "download");
}

// ---------------------------------------------------------------- the page

const BINARY: &[u8] = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0\x3e\0";

fn lines_file() -> Vec<u8> {
    (1..=20_000)
        .map(|i| format!("line {i}\n"))
        .collect::<String>()
        .into_bytes()
}

/// Two MiB of incompressible bytes.
fn big_file() -> Vec<u8> {
    Rng(0x2545_F491_4F6C_DD1D).noise(2 << 20)
}

fn dot() -> Vec<u8> {
    png::png(
        2,
        2,
        &[
            [255, 0, 0, 255],
            [0, 255, 0, 255],
            [0, 0, 255, 255],
            [0, 0, 0, 0],
        ],
    )
}

/// `viewer:v1`: text, binary, an image, links of every sort; layer 1
/// rewrites etc/hello and adds hard links (one to a layer-0 file).
fn viewer_image() -> TestImage {
    TestImage::new()
        .layer(
            "ADD rootfs /",
            &[
                Member::dir(b"etc/"),
                Member::file(b"etc/hello", b"hello\n"),
                Member::file(b"etc/os-release", b"ID=test\n"),
                Member::symlink(b"etc/link", b"hello"),
                Member::symlink(b"etc/abs", b"/etc/hello"),
                Member::symlink(b"etc/dangling", b"nowhere"),
                Member::symlink(b"etc/via", b"/lnk/../lnk/hello"),
                Member::symlink(b"etc/notdir", b"hello/x"),
                Member::symlink(b"etc/root", b"../.."),
                Member::symlink(b"lnk", b"etc"),
                Member::dir(b"loop/"),
                Member::symlink(b"loop/a", b"b"),
                Member::symlink(b"loop/b", b"a"),
                Member::dir(b"usr/"),
                Member::dir(b"usr/lib/"),
                Member::symlink(b"usr/lib/up", b"../../etc/hello"),
                Member::dir(b"bin/"),
                Member::file(b"bin/tool", BINARY).mode(0o755),
                Member::dir(b"img/"),
                Member::file(b"img/dot.png", &dot()),
                Member::dir(b"data/"),
                Member::file(b"data/lines.txt", &lines_file()),
                Member::file(b"data/big.bin", &big_file()),
                Member::file(b"data/empty", b""),
            ],
        )
        .layer(
            "RUN echo hello from layerlens > /etc/hello",
            &[
                Member::file(b"etc/hello", b"hello from layerlens\n"),
                Member::hardlink(b"etc/hello.hard", b"etc/hello"),
                Member::hardlink(b"etc/os.hard", b"etc/os-release"),
            ],
        )
}

const REF: &str = "127.0.0.1:5000/viewer:v1";

fn viewer_page() -> Page {
    let reg = demo_registry();
    reg.push("viewer", Some("v1"), &viewer_image());
    let mut page = Page::new(reg);
    page.submit(REF);
    assert_eq!(page.state.phase.hook(), "ready");
    page
}

/// Selects `path` the way a link (or back/forward) does.
fn open(page: &mut Page, path: &str) {
    page.send(Msg::RouteChanged {
        query: format!("?image={REF}&path={path}"),
    });
    assert_eq!(
        page.state
            .tree
            .selected()
            .map(|p| String::from_utf8_lossy(p).into_owned()),
        Some(path.trim_start_matches('/').to_owned())
    );
}

fn view(page: &Page) -> FileContentView {
    views::file_content(&page.state).expect("a selection")
}

/// The view as text: hook, status, buttons, note, link, then the content.
fn describe(v: &FileContentView) -> String {
    let mut out = vec![format!("[{}] {}", v.hook, v.path)];
    if !v.status.is_empty() {
        out.push(format!("status: {} ({:?})", v.status, v.verified));
    }
    if !v.modes.is_empty() {
        let modes: Vec<String> = v
            .modes
            .iter()
            .map(|(_, l, p)| if *p { format!("[{l}]") } else { l.to_string() })
            .collect();
        out.push(format!("modes: {}", modes.join(" ")));
    }
    if let Some((name, size)) = &v.download {
        out.push(format!("download: {name} {size}"));
    }
    if let Some(l) = &v.link {
        out.push(format!(
            "{} {} => {:?} [{}]",
            l.label, l.target, l.resolved, l.action
        ));
    }
    for (k, x) in [
        ("note", &v.note),
        ("error", &v.error),
        ("notice", &v.notice),
    ] {
        if let Some(x) = x {
            out.push(format!("{k}: {x}"));
        }
    }
    match &v.shown {
        Some(Shown::Text(c)) => {
            for (n, l) in c.0.text.gutter.lines().zip(c.0.text.body.lines()).take(3) {
                out.push(format!("{n:>4} | {l}"));
            }
        }
        Some(Shown::Hex(c)) => out.extend(c.0.hex.lines().take(2).map(str::to_owned)),
        Some(Shown::Image { mime, .. }) => out.push(format!("<img {mime}>")),
        Some(Shown::Diff(d)) => out.extend(
            d.iter()
                .flatten()
                .map(layerlens::app::file::unified::DiffLine::text),
        ),
        None => {}
    }
    out.join("\n")
}

fn extracts(page: &Page) -> Vec<(ExtractId, usize, u64)> {
    page.effects
        .iter()
        .filter_map(|e| match e {
            Effect::File(FileEffect::Extract(t)) => Some((t.id, t.layer, t.size)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_deep_link_extracts_the_file_and_verifies_its_layer_again() {
    let reg = demo_registry();
    reg.push("viewer", Some("v1"), &viewer_image());
    let mut page = Page::new(reg);
    page.send(Msg::Started {
        query: format!("?image={REF}&path=/etc/hello"),
        page_url: "http://127.0.0.1:8080/".into(),
    });
    assert_eq!(page.state.phase.hook(), "ready");
    // The file came from layer 1: that layer is streamed again.
    assert_eq!(extracts(&page), vec![(ExtractId(1), 1, 21)]);
    assert_text(
        &describe(&view(&page)),
        "
[text] /etc/hello
status: From layer 1, whose digest was verified again (Some(true))
modes: [Text] Hex
download: hello 21 bytes
   1 | hello from layerlens
",
    );
    page.send(Msg::File(FileMsg::ShowAs(ShowAs::Hex)));
    assert_text(
        &describe(&view(&page)),
        "
[hex] /etc/hello
status: From layer 1, whose digest was verified again (Some(true))
modes: Text [Hex]
download: hello 21 bytes
00000000  68 65 6c 6c 6f 20 66 72  6f 6d 20 6c 61 79 65 72  |hello from layer|
00000010  6c 65 6e 73 0a                                    |lens.|
",
    );
    page.send(Msg::File(FileMsg::Download));
    assert_eq!(
        page.downloads,
        vec![("hello".to_owned(), b"hello from layerlens\n".to_vec())]
    );
}

#[test]
fn binary_files_show_hex_and_images_a_preview() {
    let mut page = viewer_page();
    open(&mut page, "/bin/tool");
    assert_text(
        &describe(&view(&page)),
        "
[hex] /bin/tool
status: From layer 0, whose digest was verified again (Some(true))
modes: Text [Hex]
download: tool 20 bytes
00000000  7f 45 4c 46 02 01 01 00  00 00 00 00 00 00 00 00  |.ELF............|
00000010  03 00 3e 00                                       |..>.|
",
    );
    // Text can be asked for (binary shows lossily); the next file opens
    // as its kind suggests again.
    page.send(Msg::File(FileMsg::ShowAs(ShowAs::Text)));
    assert_eq!(view(&page).hook, "text");
    open(&mut page, "/img/dot.png");
    let v = view(&page);
    assert_text(
        &describe(&v),
        &format!(
            "
[image] /img/dot.png
status: From layer 0, whose digest was verified again (Some(true))
modes: [Preview] Text Hex
download: dot.png {0} bytes
<img image/png>",
            dot().len()
        ),
    );
    let Some(Shown::Image { id, .. }) = v.shown else {
        panic!()
    };
    assert_eq!(
        page.files[&id],
        dot(),
        "the whole file is what the preview loads"
    );
    open(&mut page, "/data/empty");
    assert_text(
        &describe(&view(&page)),
        "
[text] /data/empty
status: From layer 0, whose digest was verified again (Some(true))
modes: [Text] Hex
download: empty 0 bytes
note: The file is empty.
",
    );
}

#[test]
fn large_files_are_shown_in_part_and_downloaded_whole() {
    let mut page = viewer_page();
    open(&mut page, "/data/lines.txt");
    let v = view(&page);
    let Some(Shown::Text(c)) = &v.shown else {
        panic!("{v:?}")
    };
    assert_eq!(c.0.text.lines, MAX_TEXT_LINES);
    assert!(c.0.text.body.ends_with("line 10000"));
    assert_eq!(
        v.note.as_deref(),
        Some("Showing the first 10000 lines; download the file for all of it.")
    );
    open(&mut page, "/data/big.bin");
    let v = view(&page);
    assert_eq!(v.hook, "hex");
    let Some(Shown::Hex(c)) = &v.shown else {
        panic!()
    };
    assert_eq!(
        c.0.head.len(),
        DISPLAY_LIMIT,
        "the state keeps the display limit only"
    );
    assert_eq!(c.0.hex.lines().count(), 4096);
    assert_eq!(
        v.note.as_deref(),
        Some("Showing the first 65536 of 2097152 bytes; download the file for all of it.")
    );
    page.send(Msg::File(FileMsg::Download));
    let (name, bytes) = page.downloads.last().unwrap();
    assert_eq!(name, "big.bin");
    assert!(bytes == &big_file(), "the download has every byte");
}

#[test]
fn reselecting_a_file_is_instant_and_leaving_forgets_what_is_not_kept() {
    let mut page = viewer_page();
    open(&mut page, "/etc/os-release");
    open(&mut page, "/bin/tool");
    let before = page.registry.requests.borrow().len();
    let forgets = |p: &Page| {
        p.effects
            .iter()
            .filter_map(|e| match e {
                Effect::File(FileEffect::Forget(id)) => Some(id.0),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    open(&mut page, "/etc/os-release");
    assert_eq!(
        page.registry.requests.borrow().len(),
        before,
        "no request: {:?}",
        &page.registry.requests.borrow()[before.min(page.registry.requests.borrow().len())..]
    );
    assert_eq!(extracts(&page).len(), 2);
    assert_eq!(view(&page).hook, "text");
    assert_eq!(page.state.file.open.as_ref().unwrap().id, ExtractId(1));
    assert_eq!(forgets(&page), Vec::<u64>::new(), "both are kept, one open");
    // A third file: the kept one (tool) goes.
    open(&mut page, "/etc/hello");
    assert_eq!(forgets(&page), vec![2]);
    assert!(!page.files.contains_key(&ExtractId(2)));
    // A directory: nothing to extract.
    open(&mut page, "/etc");
    assert_eq!(view(&page).hook, "none");
    assert_eq!(forgets(&page), vec![2, 1]);
    // Hard links share their bytes: the same extraction is reused.
    open(&mut page, "/etc/hello");
    open(&mut page, "/etc/hello.hard");
    assert_eq!(extracts(&page).len(), 3);
}

#[test]
fn selecting_elsewhere_cancels_a_running_extraction() {
    let mut page = viewer_page();
    let mut state = page.state.clone();
    let effects = update(
        &mut state,
        Msg::RouteChanged {
            query: format!("?image={REF}&path=/etc/hello"),
        },
    );
    let id = match effects.iter().find(|e| matches!(e, Effect::File(_))) {
        Some(Effect::File(FileEffect::Extract(t))) => {
            assert_eq!(
                (t.layer, t.size, t.reference.to_string().as_str()),
                (1, 21, REF)
            );
            t.id
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(views::file_content(&state).unwrap().hook, "loading");
    let _ = update(&mut state, Msg::File(FileMsg::Progress { id, done: 10 }));
    assert!(views::file_content(&state)
        .unwrap()
        .status
        .starts_with("Reading layer 1: 10 of "));
    let effects = update(
        &mut state,
        Msg::RouteChanged {
            query: format!("?image={REF}&path=/usr"),
        },
    );
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::File(FileEffect::Forget(f)) if *f == id)),
        "{effects:?}"
    );
    // Late results of the forgotten extraction change nothing.
    let _ = update(
        &mut state,
        Msg::File(FileMsg::Content {
            id,
            head: b"late".to_vec(),
            size: 4,
        }),
    );
    assert!(state.file.open.is_none());
    // And a failure is shown as one.
    page.state = state;
    let mut state = page.state.clone();
    let effects = update(
        &mut state,
        Msg::RouteChanged {
            query: format!("?image={REF}&path=/etc/os-release"),
        },
    );
    let Some(Effect::File(FileEffect::Extract(t))) =
        effects.iter().find(|e| matches!(e, Effect::File(_)))
    else {
        panic!()
    };
    let _ = update(
        &mut state,
        Msg::File(FileMsg::Failed {
            id: t.id,
            error: "download failed".into(),
        }),
    );
    let v = views::file_content(&state).unwrap();
    assert_eq!(
        (v.hook, v.error.as_deref()),
        ("error", Some("download failed"))
    );
    assert!(v.download.is_none());
}

#[test]
fn a_layer_that_no_longer_matches_its_digest_is_said_so() {
    let mut page = viewer_page();
    // The registry now serves other bytes for layer 1: the same tar,
    // compressed differently.
    let image = viewer_image();
    let digest = {
        let m = page.state.current.as_ref().unwrap().image.as_ref().unwrap();
        m.image_manifest().unwrap().layers()[1].digest().to_string()
    };
    let mut recompressed = {
        use std::io::Write as _;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(&image.layers[1].tar).unwrap();
        e.finish().unwrap()
    };
    recompressed[9] = 7; // another OS byte in the gzip header: other bytes, same file
    page.registry.tamper_blob("viewer", &digest, recompressed);
    open(&mut page, "/etc/hello");
    let v = view(&page);
    assert_eq!(v.hook, "text");
    assert_eq!(v.verified, Some(false));
    assert!(
        v.status.starts_with("NOT VERIFIED: layer 1 (sha256:"),
        "{}",
        v.status
    );
    assert!(
        v.status.ends_with("these bytes are not verified"),
        "{}",
        v.status
    );
    assert!(matches!(
        page.state.file.open.as_ref().unwrap().check,
        Check::Failed(_)
    ));
    // Not kept for re-selecting: its bytes are forgotten on leaving.
    let id = page.state.file.open.as_ref().unwrap().id;
    open(&mut page, "/bin/tool");
    assert!(!page.files.contains_key(&id));
}

#[test]
fn symlinks_resolve_like_the_kernel_inside_the_image() {
    let page = viewer_page();
    let m = page.state.tree.model().unwrap();
    let ok = |p: &[u8]| resolve_symlink(m, p).map(|r| String::from_utf8(r).unwrap());
    assert_eq!(ok(b"etc/link"), Ok("etc/hello".into()), "relative");
    assert_eq!(ok(b"etc/abs"), Ok("etc/hello".into()), "absolute");
    assert_eq!(ok(b"usr/lib/up"), Ok("etc/hello".into()), "..");
    assert_eq!(
        ok(b"etc/via"),
        Ok("etc/hello".into()),
        "through a link, .. after it"
    );
    assert_eq!(ok(b"lnk"), Ok("etc".into()), "to a directory");
    assert_eq!(ok(b"etc/root"), Ok(String::new()), ".. stops at the root");
    assert_eq!(ok(b"loop/a"), Err(LinkProblem::Loop));
    assert_eq!(
        ok(b"etc/dangling"),
        Err(LinkProblem::Dangling {
            path: b"etc/nowhere".to_vec()
        })
    );
    assert_eq!(
        ok(b"etc/notdir"),
        Err(LinkProblem::NotDirectory {
            path: b"etc/hello".to_vec()
        })
    );
}

#[test]
fn following_a_symlink_selects_its_target() {
    let mut page = viewer_page();
    open(&mut page, "/usr/lib/up");
    assert_text(
        &describe(&view(&page)),
        r#"
[link] /usr/lib/up
Symbolic link to ../../etc/hello => Ok("/etc/hello") [Follow]
"#,
    );
    assert!(extracts(&page).is_empty(), "a link has no bytes of its own");
    page.send(Msg::File(FileMsg::Follow));
    assert_eq!(page.state.tree.selected(), Some(&b"etc/hello"[..]));
    assert_eq!(
        page.urls.last().unwrap(),
        &(format!("?image={REF}&path=/etc/hello"), true)
    );
    assert_eq!(view(&page).hook, "text");
    open(&mut page, "/loop/a");
    assert_text(
        &describe(&view(&page)),
        r#"
[link] /loop/a
Symbolic link to b => Err("too many levels of symbolic links (a loop)") [Follow]
"#,
    );
    page.send(Msg::File(FileMsg::Follow));
    assert_eq!(page.state.tree.selected(), Some(&b"loop/a"[..]), "stays");
    assert_eq!(
        view(&page).notice.as_deref(),
        Some("Cannot follow the link: too many levels of symbolic links (a loop)")
    );
    open(&mut page, "/etc/dangling");
    assert_eq!(
        view(&page).link.unwrap().resolved,
        Err("dangling: /etc/nowhere does not exist in this view".to_owned())
    );
}

#[test]
fn hard_links_show_their_target_and_open_it() {
    let mut page = viewer_page();
    open(&mut page, "/etc/hello.hard");
    assert_text(
        &describe(&view(&page)),
        r#"
[text] /etc/hello.hard
status: From layer 1, whose digest was verified again (Some(true))
modes: [Text] Hex
download: hello.hard 21 bytes
Hard link to /etc/hello => Ok("/etc/hello") [Open target]
   1 | hello from layerlens
"#,
    );
    // A hard link to a file of a lower layer: its bytes are there.
    open(&mut page, "/etc/os.hard");
    let v = view(&page);
    assert_eq!(v.link.as_ref().unwrap().target, "/etc/os-release");
    assert!(v.status.starts_with("From layer 0"), "{}", v.status);
    assert!(describe(&v).ends_with("   1 | ID=test"), "{}", describe(&v));
    page.send(Msg::File(FileMsg::OpenTarget));
    assert_eq!(page.state.tree.selected(), Some(&b"etc/os-release"[..]));
}

/// The file's bytes found from the merged tree (a keystroke's way) are
/// the ones the layers' listings name: the last entry of a path in its
/// layer, a hard link's target in the same layer or a lower one, and a
/// layer's own view of an earlier version.
#[test]
fn a_files_bytes_are_found_from_the_tree_as_from_the_listings() {
    let image = TestImage::new()
        .layer(
            "ADD rootfs /",
            &[
                Member::dir(b"etc/"),
                Member::file(b"etc/a", b"one\n"),
                Member::file(b"etc/b", b"b0\n"),
                Member::file(b"etc/c", b"c\n"),
            ],
        )
        .layer(
            "RUN rewrite",
            &[
                Member::file(b"etc/a", b"two\n"),
                Member::file(b"etc/a", b"three\n"),
                Member::hardlink(b"etc/a.hard", b"etc/a"),
                Member::hardlink(b"etc/b.hard", b"etc/b"),
            ],
        )
        .layer("RUN again", &[Member::file(b"etc/b", b"b2 longer\n")]);
    let reg = demo_registry();
    reg.push("sources", Some("v1"), &image);
    let mut page = Page::new(reg);
    page.submit("127.0.0.1:5000/sources:v1");
    assert_eq!(page.state.phase.hook(), "ready");
    let cur = page.state.current.as_ref().unwrap();
    let fs = cur.fs.as_deref().unwrap();
    let mut files = 0;
    for (id, path) in fs.walk() {
        let node = fs.node(id).unwrap();
        if node.kind() != layerlens::layer::EntryKind::File {
            continue;
        }
        files += 1;
        let listed = content_source(&cur.reports, node.layer(), &path);
        assert!(listed.is_some(), "{}", String::from_utf8_lossy(&path));
        assert_eq!(
            file_source(Some(fs), &cur.reports, node.layer(), &path),
            listed,
            "{}",
            String::from_utf8_lossy(&path)
        );
    }
    assert_eq!(files, 5);
    let at = |layer, path: &[u8]| file_source(Some(fs), &cur.reports, layer, path).unwrap();
    // The last of two entries; its hard link in the same layer.
    assert_eq!((at(1, b"etc/a").layer, at(1, b"etc/a").size), (1, 6));
    assert_eq!(at(1, b"etc/a.hard"), at(1, b"etc/a"));
    // A hard link to a lower layer's file rewritten above it.
    assert_eq!(
        (at(1, b"etc/b.hard").layer, at(1, b"etc/b.hard").size),
        (0, 3)
    );
    assert_eq!((at(2, b"etc/b").layer, at(2, b"etc/b").size), (2, 10));
    // A layer's own view: its version, not the merged one.
    assert_eq!((at(0, b"etc/a").layer, at(0, b"etc/a").size), (0, 4));
    assert_eq!((at(0, b"etc/b").layer, at(0, b"etc/b").size), (0, 3));
    // Without the tree, the listings answer alike.
    assert_eq!(
        file_source(None, &cur.reports, 1, b"etc/a"),
        Some(at(1, b"etc/a"))
    );
}

#[test]
fn a_platform_switch_keeps_the_file_and_shows_the_new_platforms_bytes() {
    let mut page = Page::new(demo_registry());
    page.send(Msg::Started {
        query: "?image=127.0.0.1:5000/multi:v1&path=/etc/hello".into(),
        page_url: "http://127.0.0.1:8080/".into(),
    });
    assert!(describe(&view(&page)).ends_with("   1 | hi amd64"));
    page.send(Msg::PlatformChosen("linux/arm64/v8".into()));
    assert_eq!(page.state.phase.hook(), "ready");
    assert!(
        describe(&view(&page)).ends_with("   1 | hi arm64"),
        "{}",
        describe(&view(&page))
    );
    assert_eq!(extracts(&page).len(), 2);
    // The first platform's file is kept (verified, small) for going back.
    assert_eq!(
        page.state.file.kept.as_ref().map(|k| k.id),
        Some(ExtractId(1))
    );
}

/// Runs the extraction of `path`'s task with its offset and size changed,
/// returning the messages and the bytes given out; `cancel_after` stops it
/// after that many chunks.
fn extract_with(
    page: &Page,
    path: &str,
    tweak: impl Fn(&mut layerlens::app::file::ExtractTask),
    cancel_after: Option<usize>,
) -> (Vec<FileMsg>, Vec<u8>) {
    let mut state = page.state.clone();
    let effects = update(
        &mut state,
        Msg::RouteChanged {
            query: format!("?image={REF}&path={path}"),
        },
    );
    let Some(Effect::File(FileEffect::Extract(task))) =
        effects.into_iter().find(|e| matches!(e, Effect::File(_)))
    else {
        panic!("no extraction for {path}")
    };
    let mut task = *task;
    tweak(&mut task);
    let client = layerlens::registry::Client::new(page.registry.clone(), || 1_700_000_000_000);
    let msgs = std::cell::RefCell::new(Vec::new());
    let chunks = std::cell::Cell::new(0usize);
    let mut bytes = Vec::new();
    block_on(layerlens::app::file::extract::run_extract(
        &client,
        &task,
        &mut bytes,
        &|| cancel_after.is_some_and(|n| chunks.get() >= n),
        &|m| {
            if matches!(m, FileMsg::Progress { .. }) {
                chunks.set(chunks.get() + 1);
            }
            msgs.borrow_mut().push(m)
        },
    ));
    (msgs.into_inner(), bytes)
}

#[test]
fn extraction_failures_and_cancellation() {
    let mut page = viewer_page();
    page.registry.chunk = 4096;
    // The head is bounded; the bytes given out are the whole file.
    let (msgs, bytes) = extract_with(&page, "/data/big.bin", |t| t.head_limit = 100, None);
    assert_eq!(bytes, big_file());
    let heads: Vec<(usize, u64)> = msgs
        .iter()
        .filter_map(|m| match m {
            FileMsg::Content { head, size, .. } => Some((head.len(), *size)),
            _ => None,
        })
        .collect();
    assert_eq!(heads, vec![(100, 2 << 20)]);
    assert!(matches!(
        msgs.last(),
        Some(FileMsg::Checked { result: Ok(()), .. })
    ));
    // An offset where no entry starts: the layer ends without the file.
    let (msgs, _) = extract_with(&page, "/etc/hello", |t| t.offset += 1, None);
    let Some(FileMsg::Failed { error, .. }) = msgs.last() else {
        panic!("{msgs:?}")
    };
    assert!(
        error.starts_with("layer 1 (sha256:") && error.contains("ended before the file at offset"),
        "{error}"
    );
    // An entry that is not a regular file (the hard link's own header).
    let hard = {
        let cur = page.state.current.as_ref().unwrap();
        let e = cur.reports[1]
            .entries()
            .iter()
            .find(|e| e.path == b"etc/hello.hard")
            .unwrap();
        e.offset
    };
    let (msgs, _) = extract_with(&page, "/etc/hello", |t| t.offset = hard, None);
    let Some(FileMsg::Failed { error, .. }) = msgs.last() else {
        panic!("{msgs:?}")
    };
    assert!(error.contains("is not a regular file"), "{error}");
    // A descriptor smaller than what the registry sends.
    let (msgs, _) = extract_with(
        &page,
        "/bin/tool",
        |t| t.descriptor = shrunk(&t.descriptor),
        None,
    );
    let Some(FileMsg::Checked { result: Err(e), .. }) = msgs.last() else {
        panic!("{msgs:?}")
    };
    assert!(
        e.contains("the registry sent more than the descriptor's"),
        "{e}"
    );
    // Little left to check after the file: read on; much left: stop there.
    let (msgs, _) = extract_with(&page, "/bin/tool", |t| t.verify_limit = 0, None);
    let Some(FileMsg::Stopped { remaining, .. }) = msgs.last() else {
        panic!("{msgs:?}")
    };
    assert!(
        *remaining > 2_000_000,
        "big.bin follows bin/tool: {remaining}"
    );
    assert!(msgs
        .iter()
        .any(|m| matches!(m, FileMsg::Content { size: 20, .. })));
    // The view says so without claiming a fresh check.
    let mut state = page.state.clone();
    let effects = update(
        &mut state,
        Msg::RouteChanged {
            query: format!("?image={REF}&path=/bin/tool"),
        },
    );
    let Some(Effect::File(FileEffect::Extract(t))) =
        effects.iter().find(|e| matches!(e, Effect::File(_)))
    else {
        panic!()
    };
    for m in msgs {
        let m = match m {
            FileMsg::Content { head, size, .. } => FileMsg::Content {
                id: t.id,
                head,
                size,
            },
            FileMsg::Stopped { remaining, .. } => FileMsg::Stopped {
                id: t.id,
                remaining,
            },
            FileMsg::Progress { done, .. } => FileMsg::Progress { id: t.id, done },
            other => other,
        };
        let _ = update(&mut state, Msg::File(m));
    }
    let v = views::file_content(&state).unwrap();
    assert_eq!((v.hook, v.verified), ("hex", None));
    assert!(
        v.status.starts_with("From layer 0, verified when the image loaded; not checked again (reading stopped 2.0M before"),
        "{}",
        v.status
    );
    // Cancelled after two chunks: nothing more is reported.
    let (msgs, bytes) = extract_with(&page, "/data/big.bin", |_| {}, Some(2));
    assert_eq!(msgs.len(), 2, "{:?}", msgs.len());
    assert!(msgs.iter().all(|m| matches!(m, FileMsg::Progress { .. })));
    assert!(bytes.len() < 64 << 10);
}

/// The descriptor with a size 100 bytes short of the blob's.
fn shrunk(d: &layerlens::oci::Descriptor) -> layerlens::oci::Descriptor {
    layerlens::oci::Descriptor::new(d.media_type().clone(), d.digest().clone(), d.size() - 100)
}

#[test]
fn keyboard_selection_extracts_too() {
    let mut page = viewer_page();
    open(&mut page, "/etc/dangling");
    let before = extracts(&page).len();
    // The row after etc/dangling is etc/hello (a regular file).
    page.send(Msg::Key(layerlens::app::Key::Down));
    assert_eq!(page.state.tree.selected(), Some(&b"etc/hello"[..]));
    assert_eq!(extracts(&page).len(), before + 1);
    assert_eq!(view(&page).hook, "text");
    // Up again: back on the link, nothing is extracted.
    page.send(Msg::Key(layerlens::app::Key::Up));
    assert_eq!(view(&page).hook, "link");
    assert_eq!(extracts(&page).len(), before + 1);
}

#[test]
fn svg_previews_are_drawn_at_their_size_within_bounds() {
    assert_eq!(raster_size(8, 8), (8, 8));
    assert_eq!(raster_size(300, 150), (300, 150));
    assert_eq!(raster_size(0, 0), (512, 512), "no size of its own");
    assert_eq!(raster_size(0, 40), (40, 40));
    assert_eq!(raster_size(40, 0), (40, 40));
    assert_eq!(raster_size(4096, 10), (4096, 10));
    assert_eq!(raster_size(8192, 4096), (4096, 2048));
    assert_eq!(
        raster_size(1_000_000_000, 1),
        (4096, 1),
        "never below a pixel"
    );
    assert_eq!(raster_size(u32::MAX, u32::MAX), (4096, 4096));
}
