//! The filter typed on a big tree waits for a pause; on a small one it
//! applies at once.

use std::rc::Rc;

use super::*;
use crate::fs::MergedFs;
use crate::layer::{Entry, EntryKind};

fn file(path: String) -> Entry {
    Entry::for_test(&path, EntryKind::File, 1)
}

/// `files` files, 100 per directory: `d0/f0.txt`, …, plus one `d0/lib.so`.
fn tree(files: usize) -> TreeState {
    let mut layer: Vec<Entry> = (0..files)
        .map(|i| file(format!("d{}/f{i}.txt", i / 100)))
        .collect();
    layer.push(file("d0/lib.so".to_owned()));
    let mut t = TreeState::default();
    t.set_model(Some(TreeModel::merged(Rc::new(MergedFs::build(&[layer])))));
    t
}

#[test]
fn a_small_tree_filters_at_once() {
    let mut t = tree(300);
    assert_eq!(t.type_filter("lib"), None);
    assert_eq!(t.filter().text(), "lib");
    assert_eq!(t.visible().len(), 2, "d0/ and lib.so");
}

#[test]
fn a_big_tree_filters_when_typing_pauses_and_only_for_the_latest_text() {
    let mut t = tree(DEBOUNCE_NODES);
    let before = t.visible().len();
    let g1 = t.type_filter("l").expect("deferred");
    let g2 = t.type_filter("li").expect("deferred");
    let g3 = t.type_filter("lib").expect("deferred");
    assert!(g1 < g2 && g2 < g3);
    // Shown as typed, not applied yet.
    assert_eq!(t.filter_text(), "lib");
    assert!(!t.filter().is_active());
    assert_eq!(t.visible().len(), before);
    // Pauses asked for by earlier letters do nothing.
    t.filter_settled(g1);
    t.filter_settled(g2);
    assert!(!t.filter().is_active());
    t.filter_settled(g3);
    assert_eq!(t.filter().text(), "lib");
    assert_eq!(t.visible().len(), 2);
    // A late pause changes nothing more.
    t.filter_settled(g3);
    assert_eq!(t.visible().len(), 2);
}

#[test]
fn a_key_in_the_tree_acts_on_the_filter_typed() {
    let mut t = tree(DEBOUNCE_NODES);
    let g = t.type_filter("lib.so").expect("deferred");
    t.key(Key::Down);
    assert_eq!(t.filter().text(), "lib.so");
    assert_eq!(t.selected(), Some(&b"d0"[..]));
    t.key(Key::Down);
    assert_eq!(t.selected(), Some(&b"d0/lib.so"[..]));
    // Its pause, arriving after, changes nothing.
    t.filter_settled(g);
    assert_eq!(t.visible().len(), 2);
}

#[test]
fn escape_drops_a_filter_still_waiting() {
    let mut t = tree(DEBOUNCE_NODES);
    let before = t.visible().len();
    let g = t.type_filter("lib").expect("deferred");
    let effects = t.key(Key::Escape);
    assert!(matches!(effects[..], [Effect::Focus(Focus::Tree)]));
    assert_eq!(t.filter_text(), "");
    t.filter_settled(g);
    assert!(!t.filter().is_active());
    assert_eq!(t.visible().len(), before);
}
