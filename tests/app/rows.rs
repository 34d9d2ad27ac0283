//! The tree's rows, golden: the merged image, expansion, sorting, text and
//! glob filters, the two layer modes with their change marks, hiding change
//! classes, keyboard navigation and the virtualised window. Expected text is
//! written by hand from the test image's definition (layerlens_testkit::app::demo_image).

use layerlens::app::{ChangeClass, Effect, Key, LayerMode, Msg, Pause, SortBy};
use layerlens_testkit::app::*;

#[test]
fn merged_image_rows_are_complete_and_auto_expanded() {
    let page = demo_page();
    assert_eq!(page.state.phase.hook(), "ready");
    assert_text(
        &page.rows(),
        r"
   drwxr-xr-x       0:0    100  L0 v bin/
   -rwxr-xr-x       0:0    100  L0     sh
   drwxr-xr-x       0:0     16  L0 v etc/
   -rw-r--r--       0:0     12  L1     hello
   -rw-r--r--       0:0      4  L1     new.conf
   drwxr-xr-x       0:0   2.0K  L2 v opt/
   drwxr-xr-x       0:0   2.0K  L2   v app/
   -rw------- 1000:1000   2.0K  L2       data.bin
   drwxr-xr-x       0:0   4.0K  L0 v usr/
   drwxr-xr-x       0:0   4.0K  L0   v bin/
   -rwxr-xr-x       0:0   4.0K  L1       big
   lrwxrwxrwx       0:0      -  L0       sh2 -> /bin/sh",
    );
}

#[test]
fn clicking_a_directory_selects_and_toggles_it() {
    let mut page = demo_page();
    // Row 2 is etc/.
    page.send(Msg::RowClicked(2));
    assert_text(
        &page.names(),
        r"
  v bin
      sh
 *> etc
  v opt
    v app
        data.bin
  v usr
    v bin
        big
        sh2",
    );
    assert_eq!(page.url(), "?image=127.0.0.1:5000/demo:v1&path=/etc");
    page.send(Msg::RowToggled(0));
    // bin/ closed: etc/ is now row 1.
    page.send(Msg::RowToggled(1));
    assert_text(
        &page.names(),
        r"
  > bin
 *v etc
      hello
      new.conf
  v opt
    v app
        data.bin
  v usr
    v bin
        big
        sh2",
    );
}

#[test]
fn sort_by_size_puts_the_largest_first() {
    let mut page = demo_page();
    page.send(Msg::SortChosen(SortBy::Size));
    assert_text(
        &page.names(),
        r"
  v usr
    v bin
        big
        sh2
  v opt
    v app
        data.bin
  v bin
      sh
  v etc
      hello
      new.conf",
    );
    page.send(Msg::SortChosen(SortBy::Name));
    assert!(page.names().starts_with("  v bin\n      sh\n  v etc"));
}

#[test]
fn text_and_glob_filters() {
    let mut page = demo_page();
    let cases: &[(&str, &str)] = &[
        ("hello", "  v etc\n      hello"),
        ("HELLO", "  v etc\n      hello"),
        ("*.conf", "  v etc\n      new.conf"),
        ("/etc/*", "  v etc\n      hello\n      new.conf"),
        ("/usr/**", "  v usr\n    v bin\n        big\n        sh2"),
        (
            "BIN/S",
            "  v bin\n      sh\n  v usr\n    v bin\n        sh2",
        ),
        ("s?2", "  v usr\n    v bin\n        sh2"),
        // A matching directory without matching entries stays closed.
        (
            "[a-c]*",
            "  > bin\n  v opt\n    > app\n  v usr\n    v bin\n        big",
        ),
        ("nothing-matches", ""),
    ];
    for (filter, expected) in cases {
        page.send(Msg::FilterChanged((*filter).to_owned()));
        assert_eq!(&page.names(), expected, "filter {filter:?}");
    }
    page.send(Msg::FilterChanged(String::new()));
    assert_eq!(page.state.tree.visible().len(), 12);
}

#[test]
fn collapsing_under_a_filter_is_remembered_until_the_filter_changes() {
    let mut page = demo_page();
    page.send(Msg::FilterChanged("/etc/*".into()));
    page.send(Msg::RowToggled(0));
    assert_eq!(page.names(), "  > etc");
    page.send(Msg::FilterChanged("/etc/h*".into()));
    assert_eq!(page.names(), "  v etc\n      hello");
}

#[test]
fn up_to_a_layer_marks_what_it_changed() {
    let mut page = demo_page();
    page.send(Msg::LayerSelected(Some(1)));
    assert_text(
        &page.names(),
        r"
  v bin
      sh
  v etc
~     hello
+     new.conf
  v usr
    v bin
=       big
        sh2",
    );
    assert_eq!(page.url(), "?image=127.0.0.1:5000/demo:v1&layer=1");
    // Layer 0: the image before anything was rewritten; everything added.
    page.send(Msg::LayerSelected(Some(0)));
    assert_text(
        &page.names(),
        r"
+ v bin
+     sh
+ v etc
+     hello
+     os-release
+ v usr
+   v bin
+       big
+       sh2",
    );
}

#[test]
fn a_layers_changes_include_removed_entries() {
    let mut page = demo_page();
    page.send(Msg::LayerSelected(Some(1)));
    page.send(Msg::LayerModeChosen(LayerMode::Changes));
    assert_eq!(
        page.url(),
        "?image=127.0.0.1:5000/demo:v1&layer=1&view=changes"
    );
    assert_text(
        &page.rows(),
        r"
   drwxr-xr-x       0:0     16  L0 v etc/
~  -rw-r--r--       0:0     12  L1     hello
+  -rw-r--r--       0:0      4  L1     new.conf
-  -rw-r--r--       0:0      8  L0     os-release
   drwxr-xr-x       0:0   4.0K  L0 v usr/
   drwxr-xr-x       0:0   4.0K  L0   v bin/
=  -rwxr-xr-x       0:0   4.0K  L1       big",
    );
    // Hide removed and unmodified: only additions and modifications remain.
    page.send(Msg::ShowToggled(ChangeClass::Removed));
    page.send(Msg::ShowToggled(ChangeClass::Unmodified));
    assert_text(&page.names(), "  v etc\n~     hello\n+     new.conf");
}

#[test]
fn hiding_unmodified_in_the_merged_view() {
    let mut page = demo_page();
    page.send(Msg::LayerSelected(Some(2)));
    page.send(Msg::ShowToggled(ChangeClass::Unmodified));
    assert_text(&page.names(), "+ v opt\n+   v app\n+       data.bin");
    page.send(Msg::ShowToggled(ChangeClass::Added));
    assert_eq!(page.names(), "");
}

/// Keys moving the selection write the address once they rest: each key
/// asks for a pause, and only the latest pause's end writes it.
#[test]
fn the_address_follows_keys_once_they_rest() {
    let mut page = demo_page();
    let mut pauses = Vec::new();
    for _ in 0..3 {
        let effects = layerlens::app::update(&mut page.state, Msg::Key(Key::Down));
        assert!(
            !effects.iter().any(|e| matches!(e, Effect::SetUrl { .. })),
            "{effects:?}"
        );
        pauses.extend(effects.iter().filter_map(|e| match e {
            Effect::Later {
                pause: Pause::Url(generation),
                after_ms,
            } => Some((*generation, *after_ms)),
            _ => None,
        }));
    }
    assert_eq!(pauses.len(), 3, "{pauses:?}");
    assert!(pauses.windows(2).all(|w| w[0].0 < w[1].0), "{pauses:?}");
    assert!(pauses.iter().all(|p| p.1 == layerlens::app::URL_PAUSE_MS));
    // An earlier pause ending writes nothing; the latest writes where the
    // keys stopped.
    for (generation, _) in &pauses[..2] {
        let effects =
            layerlens::app::update(&mut page.state, Msg::Elapsed(Pause::Url(*generation)));
        assert!(effects.is_empty(), "{effects:?}");
    }
    let effects = layerlens::app::update(&mut page.state, Msg::Elapsed(Pause::Url(pauses[2].0)));
    match effects.as_slice() {
        [Effect::SetUrl { query, push: false }] => {
            assert_eq!(query, "?image=127.0.0.1:5000/demo:v1&path=/etc")
        }
        other => panic!("{other:?}"),
    }
    // A key that does not move the selection asks for nothing.
    page.send(Msg::Key(Key::Home));
    let effects = layerlens::app::update(&mut page.state, Msg::Key(Key::Home));
    assert!(
        !effects.iter().any(|e| matches!(
            e,
            Effect::Later {
                pause: Pause::Url(_),
                ..
            }
        )),
        "{effects:?}"
    );
}

#[test]
fn keyboard_navigation() {
    let mut page = demo_page();
    let sel =
        |p: &Page| String::from_utf8(p.state.tree.selected().unwrap_or_default().to_vec()).unwrap();
    page.send(Msg::Key(Key::Down));
    assert_eq!(sel(&page), "bin");
    page.send(Msg::Key(Key::Down));
    assert_eq!(sel(&page), "bin/sh");
    assert_eq!(page.url(), "?image=127.0.0.1:5000/demo:v1&path=/bin/sh");
    page.send(Msg::Key(Key::Left));
    assert_eq!(sel(&page), "bin");
    page.send(Msg::Key(Key::Left));
    assert!(page.names().starts_with(" *> bin\n  v etc"));
    page.send(Msg::Key(Key::Right));
    assert!(page.names().starts_with(" *v bin\n      sh"));
    page.send(Msg::Key(Key::Right));
    assert_eq!(sel(&page), "bin/sh");
    page.send(Msg::Key(Key::End));
    assert_eq!(sel(&page), "usr/bin/sh2");
    page.send(Msg::Key(Key::Up));
    assert_eq!(sel(&page), "usr/bin/big");
    page.send(Msg::Key(Key::Home));
    assert_eq!(sel(&page), "bin");
    page.send(Msg::Key(Key::Enter));
    assert!(page.names().starts_with(" *> bin\n  v etc"));
    page.send(Msg::Key(Key::PageDown));
    // The viewport holds 20 rows by default: PageDown goes to the last.
    assert_eq!(sel(&page), "usr/bin/sh2");
    // Collapsing a directory moves a selection inside it to the directory.
    page.send(Msg::Key(Key::Left));
    page.send(Msg::Key(Key::Left));
    assert_eq!(sel(&page), "usr/bin");
    page.send(Msg::Key(Key::Slash));
    page.send(Msg::FilterChanged("conf".into()));
    page.send(Msg::Key(Key::Escape));
    assert_eq!(page.state.tree.filter().text(), "");
    use layerlens::app::Focus;
    assert_eq!(page.focus, vec![Focus::Filter, Focus::Tree]);
}

#[test]
fn the_window_follows_scrolling_and_the_selection() {
    let mut page = demo_page();
    page.send(Msg::ViewportResized(3));
    page.send(Msg::TreeScrolled(0));
    let (start, count) = page.state.tree.window();
    // Viewport 3 + overscan 10 below, nothing above the first row.
    assert_eq!((start, count), (0, 12));
    // Selecting the last row scrolls it into view.
    page.send(Msg::Key(Key::End));
    assert_eq!(page.state.tree.scroll_row(), 9);
    page.send(Msg::Key(Key::Home));
    assert_eq!(page.state.tree.scroll_row(), 0);
    // A scroll past the end is clamped.
    page.send(Msg::TreeScrolled(1000));
    assert_eq!(page.state.tree.scroll_row(), 11);
    let panel = layerlens::app::views::tree(&page.state);
    assert_eq!(panel.total, 12);
    assert_eq!(panel.rows.first().map(|r| r.index), Some(1));
}

#[test]
fn hostile_names_are_text_and_control_bytes_are_escaped() {
    let reg = MemRegistry::new();
    let img = TestImage::new().layer(
        "ADD x /",
        &[
            Member::file(b"<img src=x onerror=alert(1)>", b"x"),
            Member::file(b"line\nbreak", b"y"),
            Member::file(b"caf\xe9", b"z"),
            Member::symlink(b"link", b"<b>target</b>"),
        ],
    );
    reg.push("x", Some("1"), &img);
    let mut page = Page::new(reg);
    page.submit(&format!("{HOST}/x:1"));
    assert_text(
        &page.names(),
        r"
    <img src=x onerror=alert(1)>
    caf\xe9
    line\x0abreak
    link",
    );
    let rows = page.state.tree.rows(0, 10);
    assert_eq!(rows[0].path, "/<img src=x onerror=alert(1)>");
    assert_eq!(rows[3].link.as_deref(), Some("-> <b>target</b>"));
}
