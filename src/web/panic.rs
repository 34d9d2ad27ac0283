//! A panic must not leave a silently dead page: the hook logs it, sets
//! `document.body.dataset.state = "error"` (the test hook) and shows a
//! banner asking for a reload.

use super::dom::{self, el};

/// Installs the hook (once, at start).
pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        let message = info.to_string();
        web_sys::console::error_1(&message.clone().into());
        let Some(body) = dom::document().and_then(|d| d.body()) else {
            return;
        };
        let _ = body.dataset().set("state", "error");
        if dom::by_id("panic").is_some() {
            return;
        }
        if let Some(banner) = el("div")
            .attr("id", "panic")
            .attr("role", "alert")
            .class("panic")
            .child(el("strong").text("layerlens stopped because of a bug. "))
            .text("Reload the page to start again. Details: ")
            .child(el("code").text(&message))
            .build()
        {
            let _ = body.prepend_with_node_1(&banner);
        }
    }));
}
