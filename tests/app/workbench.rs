//! The image view's workbench: dive's layers cursor (the tree follows, the
//! link says which layer, the focus stays on the list), the tabs in the
//! link, the key help and the attribute columns.

use layerlens::app::views;
use layerlens::app::{Focus, LayerStep, Msg, Tab, WorkbenchMsg};
use layerlens_testkit::app::*;

fn step(page: &mut Page, s: LayerStep) {
    page.send(Msg::Workbench(WorkbenchMsg::LayerStep(s)));
}

#[test]
fn the_arrows_in_the_layers_list_move_the_tree_through_the_layers() {
    let mut page = demo_page();
    let layers = views::layers(&page.state).lines.len();
    assert!(layers >= 3, "the demo has {layers} layers");
    let caption = |p: &Page| views::tree(&p.state).caption;
    let whole = caption(&page);

    step(&mut page, LayerStep::Down);
    assert_eq!(page.state.layer, Some(0));
    assert!(page.url().contains("layer=0"), "{}", page.url());
    assert_ne!(caption(&page), whole);
    assert_eq!(page.focus.last(), Some(&Focus::Layer));

    step(&mut page, LayerStep::Down);
    assert_eq!(page.state.layer, Some(1));
    step(&mut page, LayerStep::Last);
    assert_eq!(page.state.layer, Some(layers - 1));
    // At the end the cursor stays, and the link is not written again.
    let written = page.urls.len();
    step(&mut page, LayerStep::Down);
    assert_eq!(page.state.layer, Some(layers - 1));
    assert_eq!(page.urls.len(), written);
    assert_eq!(page.focus.last(), Some(&Focus::Layer));

    step(&mut page, LayerStep::Up);
    assert_eq!(page.state.layer, Some(layers - 2));
    step(&mut page, LayerStep::First);
    assert_eq!(page.state.layer, None);
    assert!(!page.url().contains("layer="), "{}", page.url());
    assert_eq!(caption(&page), whole);
}

#[test]
fn tabs_are_in_the_link_and_a_new_image_opens_on_its_files() {
    let mut page = demo_page();
    page.send(Msg::Workbench(WorkbenchMsg::TabChosen(Tab::History)));
    assert!(page.url().ends_with("&tab=history"), "{}", page.url());
    // Back and forward apply a link's tab.
    let link = page.url().to_owned();
    page.send(Msg::Workbench(WorkbenchMsg::TabChosen(Tab::Files)));
    assert!(!page.url().contains("tab="));
    page.send(Msg::RouteChanged {
        query: link
            .split_once('?')
            .map_or(String::new(), |(_, q)| format!("?{q}")),
    });
    assert_eq!(page.state.workbench.tab, Tab::History);
    // Another image opens on its files.
    let reference = page.state.current.as_ref().unwrap().input.clone();
    page.submit(&reference);
    assert_eq!(page.state.workbench.tab, Tab::Files);
}

#[test]
fn the_key_help_and_the_attributes_toggle() {
    let mut page = demo_page();
    assert!(!page.state.workbench.key_help);
    page.send(Msg::Workbench(WorkbenchMsg::KeyHelp(None)));
    assert!(page.state.workbench.key_help);
    page.send(Msg::Workbench(WorkbenchMsg::KeyHelp(None)));
    assert!(!page.state.workbench.key_help);
    page.send(Msg::Workbench(WorkbenchMsg::KeyHelp(None)));
    page.send(Msg::Workbench(WorkbenchMsg::KeyHelp(Some(false))));
    assert!(!page.state.workbench.key_help);

    assert!(page.state.workbench.attributes);
    page.send(Msg::Workbench(WorkbenchMsg::AttributesToggled));
    assert!(!page.state.workbench.attributes);
    page.send(Msg::Workbench(WorkbenchMsg::AttributesToggled));
    assert!(page.state.workbench.attributes);
}
