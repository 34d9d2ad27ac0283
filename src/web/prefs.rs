//! The page's preferences: on/off flags in `localStorage` (a preference,
//! not data: nothing fetched is kept here). A browser without storage (a
//! private window that refuses it) reads every flag as off.

/// "Keep layers for offline file viewing" (`web::blobs`).
pub const KEEP_LAYERS: &str = "layerlens.keep-layers";

/// "Always verify every layer fully" (no table-of-contents listings).
pub const VERIFY_FULLY: &str = "layerlens.verify-fully";

/// The colour theme (`light`, `dark`; none: follow the system).
pub const THEME: &str = "layerlens.theme";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// Whether the flag `key` is on.
pub fn flag(key: &str) -> bool {
    storage()
        .and_then(|s| s.get_item(key).ok().flatten())
        .is_some_and(|v| v == "on")
}

/// The text kept under `key`, if any.
pub fn value(key: &str) -> Option<String> {
    storage().and_then(|s| s.get_item(key).ok().flatten())
}

/// Keeps `value` under `key`, or forgets it (`None`).
pub fn set_value(key: &str, value: Option<&str>) {
    if let Some(s) = storage() {
        let _ = match value {
            Some(v) => s.set_item(key, v),
            None => s.remove_item(key),
        };
    }
}

/// Turns the flag `key` on or off (a refused write leaves it as it was).
pub fn set_flag(key: &str, on: bool) {
    if let Some(s) = storage() {
        let _ = if on {
            s.set_item(key, "on")
        } else {
            s.remove_item(key)
        };
    }
}
