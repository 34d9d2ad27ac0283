//! The page's registry client: one type, one clock, one constructor. The
//! client of the current load (it holds the load's tokens) is kept by the
//! app shell ([`super::runtime::App::load_client`]) and shared by the scan
//! and the file viewer; searches and kept layers make their own with
//! [`page_client`].

use std::cell::Cell;
use std::rc::Rc;

use crate::registry::{Client, Credentials};

use super::fetch::BrowserFetch;

/// A registry client over the page's proxy fetch.
pub type PageClient = Client<BrowserFetch, fn() -> u64>;

/// The page's clock in milliseconds since the epoch (token expiry, records).
pub fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

/// A client through the proxy at `proxy_base` with the person's
/// `credentials`; `last_yield` is shared by fetches that should yield to
/// the page together (see [`BrowserFetch`]).
pub fn page_client(
    proxy_base: String,
    last_yield: Rc<Cell<f64>>,
    credentials: Option<Credentials>,
) -> PageClient {
    let fetch = BrowserFetch::new(proxy_base, last_yield);
    Client::new(fetch, now_ms as fn() -> u64).with_credentials(credentials)
}
