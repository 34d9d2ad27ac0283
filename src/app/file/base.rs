//! The first image's version of a file the compared image modified, read
//! beside the one shown, so that a text file changed on both sides opens
//! as a unified diff (see `views::file_content`).

use crate::layer::EntryKind;

use super::super::msg::Effect;
use super::super::state::State;
use super::super::tree::model::Change;
use super::links::file_source;
use std::rc::Rc;

use super::content::Kind;
use super::open::{compared, Plan};
use super::unified::unified;
use super::{effect, Content, FileEffect, FileState, Stage};

/// Reads the first image's version of the selected file when the tree is
/// a comparison and the file is modified; forgets it otherwise.
pub(super) fn sync(state: &mut State, effects: &mut Vec<Effect>) {
    let plan = wanted(state);
    let fs = &mut state.file;
    if let (Some(p), Some(b)) = (&plan, &fs.base) {
        if p.held_by(b) {
            return;
        }
    }
    if let Some(old) = fs.base.take() {
        effects.push(effect(FileEffect::Forget(old.id)));
    }
    fs.diff = None;
    let Some(plan) = plan else {
        return;
    };
    let open = plan.open(fs);
    let id = open.id;
    fs.base = Some(open);
    effects.extend(plan.task(id, state));
}

/// The first image's regular file at the selected path, when the compared
/// image has a modified regular file there.
fn wanted(state: &State) -> Option<Plan> {
    compared(state)?;
    let sel = state.tree.selected()?;
    let m = state.tree.model()?;
    let info = m.info(m.lookup(sel)?, sel)?;
    if info.kind != EntryKind::File || info.change != Change::Modified {
        return None;
    }
    if super::super::library::file_not_at_hand(state).is_some() {
        return None;
    }
    let cur = state.current.as_ref()?;
    let fs = cur.fs.as_ref()?;
    let node = fs.node(fs.lookup(sel)?)?;
    if node.kind() != EntryKind::File {
        return None;
    }
    let source = file_source(Some(fs), &cur.reports, node.layer(), sel)?;
    let report = cur.report(source.layer)?;
    Some(Plan::new(
        cur,
        sel.to_vec(),
        report.descriptor.clone(),
        source,
    ))
}

/// The unified diff of the two versions, once both are text: computed once
/// per pair of extractions.
pub(super) fn diff(fs: &mut FileState) {
    let (Some(open), Some(base)) = (&fs.open, &fs.base) else {
        fs.diff = None;
        return;
    };
    if fs
        .diff
        .as_ref()
        .is_some_and(|d| d.0 == base.id && d.1 == open.id)
    {
        return;
    }
    let (Stage::Ready(b), Stage::Ready(a)) = (&base.stage, &open.stage) else {
        return;
    };
    if b.kind != Kind::Text || a.kind != Kind::Text {
        return;
    }
    let text = |c: &Content| String::from_utf8_lossy(&c.head).into_owned();
    let lines = unified(&text(b), &text(a));
    fs.diff = Some((base.id, open.id, Rc::new(lines)));
}
