//! The browser glue: the only module that touches wasm-bindgen, web-sys and
//! js-sys. It turns DOM events into [`crate::app::Msg`]s, performs the
//! [`crate::app::Effect`]s (fetch through the proxy, the address bar, focus,
//! clipboard), and draws [`crate::app::State`] with text nodes only.
//!
//! * [`runtime`] — the loop: dispatch, effects, one redraw per animation frame;
//! * [`mod@file`] — the file viewer's extractions, Blobs and downloads;
//! * [`fetch`] — [`fetch::BrowserFetch`], the registry client's door (proxy,
//!   streamed bodies, yields to the event loop);
//! * `render` — the sections, redrawn when their view value changes;
//! * [`search`] — the search and tags pages' network work;
//! * [`dom`], [`listen`] — a text-only element builder and owned listeners;
//! * [`store`] — the image library's IndexedDB store and its effects;
//! * [`blobs`] — kept layer blobs in the Cache API (offline file viewing);
//! * [`mod@panic`] — a visible banner instead of a silently dead page;
//! * [`worker`] — layer scans in Web Workers running this same module.

pub mod blobs;
pub mod client;
pub mod dom;
pub mod fetch;
pub mod file;
pub mod listen;
pub mod local;
pub mod panic;
pub mod prefs;
pub mod raster;
mod render;
pub mod runtime;
pub mod search;
pub mod store;
pub mod worker;

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;

use crate::app::Msg;

thread_local! {
    /// The page, alive as long as the tab (a handle here instead of a leak).
    static APP: RefCell<Option<Rc<runtime::App>>> = const { RefCell::new(None) };
}

/// Called by the generated loader once the module is instantiated — in the
/// page, and in each layer worker, where there is no page to build (the
/// worker's bootstrap calls [`worker::scope::worker_main`] instead).
#[wasm_bindgen(start)]
pub fn start() {
    if worker::in_worker() {
        return;
    }
    panic::install();
    let app = runtime::App::new();
    app.mount();
    APP.with(|a| *a.borrow_mut() = Some(Rc::clone(&app)));
    let (query, page_url) = web_sys::window()
        .map(|w| {
            let loc = w.location();
            let query = loc.search().unwrap_or_default();
            let page_url = format!(
                "{}{}",
                loc.origin().unwrap_or_default(),
                loc.pathname().unwrap_or_default()
            );
            (query, page_url)
        })
        .unwrap_or_default();
    if prefs::flag(prefs::VERIFY_FULLY) {
        app.dispatch(Msg::VerifyFullyChosen(true));
    }
    if let Some(theme) = prefs::value(prefs::THEME) {
        app.dispatch(Msg::ThemeChosen(crate::app::Theme::parse(&theme)));
    }
    app.dispatch(Msg::Started { query, page_url });
    app.warm_up();
}
