//! Performs the search pages' effects ([`SearchEffect`]): a Docker Hub
//! search through the proxy's search route, and one page of a repository's
//! tags through the registry client; each answer comes back as a
//! [`SearchMsg`].

use std::cell::Cell;
use std::rc::Rc;

use wasm_bindgen_futures::spawn_local;

use crate::app::search::{SearchEffect, SearchMsg, TAGS_PAGE};
use crate::app::Msg;
use crate::search::{search, DOCKER_HUB_SEARCH};

use super::client::page_client;
use super::fetch::BrowserFetch;
use super::runtime::App;

/// Starts the work of one effect; its answer is dispatched when it arrives.
pub fn perform(app: &App, effect: SearchEffect) {
    let weak = app.weak();
    let send = move |msg: SearchMsg| {
        if let Some(app) = weak.upgrade() {
            app.dispatch(Msg::Search(msg));
        }
    };
    match effect {
        SearchEffect::Search {
            request,
            query,
            proxy_base,
        } => spawn_local(async move {
            // `https://index.docker.io/v1/search?…` becomes the proxy's
            // search route, `/proxy/index.docker.io/v1/search?…`.
            let fetch = BrowserFetch::new(proxy_base, Rc::new(Cell::new(0.0)));
            let result = search(&fetch, DOCKER_HUB_SEARCH, &query).await;
            send(SearchMsg::Results { request, result });
        }),
        SearchEffect::Tags {
            request,
            reference,
            next,
            credentials,
            proxy_base,
        } => spawn_local(async move {
            let client = page_client(proxy_base, Rc::new(Cell::new(0.0)), credentials);
            let result = client
                .tags_page(&reference, next.as_deref(), Some(TAGS_PAGE))
                .await;
            send(SearchMsg::Tags { request, result });
        }),
    }
}
