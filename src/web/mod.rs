//! The browser glue: the only module that touches wasm-bindgen.
//!
//! For now it exposes the entry point Trunk calls; the page itself arrives with
//! the web page issue.

use wasm_bindgen::prelude::*;

/// Called by the generated loader once the module is instantiated.
#[wasm_bindgen(start)]
pub fn start() {}
