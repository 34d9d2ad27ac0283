//! The image view's workbench: which tab is shown (the files — layers,
//! tree and file side by side — or the config, history, wasted space and
//! raw documents), the key help, whether the tree shows file attributes,
//! and moving through the layers list with keys (dive's cursor in its
//! layers pane).

use super::load::rebuild_model;
use super::msg::{Effect, Focus};
use super::state::State;

/// A tab of the image view (`tab=` in the link; the files by default).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Tab {
    /// The layers list, the tree and the file panel side by side.
    #[default]
    Files,
    /// The image config (Env, Cmd, Labels…).
    Config,
    /// The build history.
    History,
    /// Wasted space.
    Waste,
    /// The raw documents.
    Raw,
    /// The comparison with another image.
    Compare,
    /// Signatures, SBOMs and provenance attached to the image.
    Supply,
}

impl Tab {
    /// Every tab, in the order shown.
    pub const ALL: [Tab; 7] = [
        Tab::Files,
        Tab::Config,
        Tab::History,
        Tab::Waste,
        Tab::Raw,
        Tab::Compare,
        Tab::Supply,
    ];

    /// The `tab=` value and the element ids' stem (`files`, `config`…).
    pub fn name(self) -> &'static str {
        match self {
            Tab::Files => "files",
            Tab::Config => "config",
            Tab::History => "history",
            Tab::Waste => "waste",
            Tab::Raw => "raw",
            Tab::Compare => "compare",
            Tab::Supply => "supply",
        }
    }

    /// The label on the tab.
    pub fn label(self) -> &'static str {
        match self {
            Tab::Files => "Files",
            Tab::Config => "Config",
            Tab::History => "History",
            Tab::Waste => "Wasted space",
            Tab::Raw => "Raw documents",
            Tab::Compare => "Compare",
            Tab::Supply => "Supply chain",
        }
    }

    /// The tab a `tab=` value names (`None` for anything else).
    pub fn parse(value: &[u8]) -> Option<Tab> {
        Tab::ALL.into_iter().find(|t| t.name().as_bytes() == value)
    }

    /// The `tab=` value in a link (`None` for the default).
    pub fn param(self) -> Option<&'static str> {
        (self != Tab::Files).then(|| self.name())
    }
}

/// A move of the layers list's cursor. The list runs from "the whole
/// image" (no layer selected) through layer 0 to the last layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerStep {
    /// The previous entry.
    Up,
    /// The next entry.
    Down,
    /// The whole image.
    First,
    /// The last layer.
    Last,
}

/// What the workbench remembers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkbenchState {
    /// The tab shown.
    pub tab: Tab,
    /// Whether the key help is open.
    pub key_help: bool,
    /// Whether the tree shows mode, owner and size (dive's Ctrl+B).
    pub attributes: bool,
}

impl Default for WorkbenchState {
    fn default() -> WorkbenchState {
        WorkbenchState {
            tab: Tab::Files,
            key_help: false,
            attributes: true,
        }
    }
}

/// Something done to the workbench.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkbenchMsg {
    /// A tab was chosen.
    TabChosen(Tab),
    /// `?` (toggle: `None`), or the help's close button / Escape
    /// (`Some(false)`).
    KeyHelp(Option<bool>),
    /// Show or hide the tree's file attributes.
    AttributesToggled,
    /// An arrow, Home or End in the layers list.
    LayerStep(LayerStep),
}

/// The layer after `step` from `current`, among `count` layers.
pub fn step_layer(current: Option<usize>, count: usize, step: LayerStep) -> Option<usize> {
    if count == 0 {
        return None;
    }
    match (step, current) {
        (LayerStep::First, _) | (LayerStep::Up, None | Some(0)) => None,
        (LayerStep::Last, _) => Some(count - 1),
        (LayerStep::Up, Some(i)) => Some(i.min(count) - 1),
        (LayerStep::Down, None) => Some(0),
        (LayerStep::Down, Some(i)) => Some((i + 1).min(count - 1)),
    }
}

/// Handles a workbench message.
pub fn update(state: &mut State, msg: WorkbenchMsg) -> Vec<Effect> {
    match msg {
        WorkbenchMsg::TabChosen(tab) => {
            if state.workbench.tab == tab {
                return Vec::new();
            }
            state.workbench.tab = tab;
            vec![state.set_url(false)]
        }
        WorkbenchMsg::KeyHelp(show) => {
            state.workbench.key_help = show.unwrap_or(!state.workbench.key_help);
            Vec::new()
        }
        WorkbenchMsg::AttributesToggled => {
            state.workbench.attributes = !state.workbench.attributes;
            Vec::new()
        }
        WorkbenchMsg::LayerStep(step) => {
            let count = state.current.as_ref().map_or(0, |c| c.progress.len());
            let next = step_layer(state.layer, count, step);
            let mut effects = vec![Effect::Focus(Focus::Layer)];
            if next != state.layer {
                state.layer = next;
                rebuild_model(state);
                effects.push(state.set_url(false));
            }
            effects
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layer_cursor_runs_from_the_whole_image_to_the_last_layer() {
        use LayerStep::*;
        assert_eq!(step_layer(None, 3, Down), Some(0));
        assert_eq!(step_layer(Some(0), 3, Down), Some(1));
        assert_eq!(step_layer(Some(2), 3, Down), Some(2));
        assert_eq!(step_layer(Some(2), 3, Up), Some(1));
        assert_eq!(step_layer(Some(0), 3, Up), None);
        assert_eq!(step_layer(None, 3, Up), None);
        assert_eq!(step_layer(Some(1), 3, First), None);
        assert_eq!(step_layer(None, 3, Last), Some(2));
        // A selection beyond the list (a stale link) steps back into it.
        assert_eq!(step_layer(Some(9), 3, Up), Some(2));
        assert_eq!(step_layer(Some(9), 3, Down), Some(2));
        assert_eq!(step_layer(None, 0, Down), None);
    }

    #[test]
    fn tabs_round_trip_through_their_names() {
        for t in Tab::ALL {
            assert_eq!(Tab::parse(t.name().as_bytes()), Some(t));
        }
        assert_eq!(Tab::parse(b"Files"), None);
        assert_eq!(Tab::parse(b""), None);
        assert_eq!(Tab::Files.param(), None);
        assert_eq!(Tab::Raw.param(), Some("raw"));
    }
}
