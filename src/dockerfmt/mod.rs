//! Docker's CLI formatting kit, ported so the page and the CLI print what
//! the `docker` command prints: go-units' human sizes and relative times
//! ([`human`]), the subset of Go's `text/template` that `--format` strings
//! use ([`template`]), Go's `text/tabwriter` as Docker configures it for
//! tables ([`tabwriter`]), and the `until=` time values of
//! `timestamp.GetTimestamp`, which also reads `docker logs --since`
//! ([`until`]).
//!
//! It has a home of its own because two commands share it: the local
//! library's `docker image ls` ([`crate::library`]) and `docker search`
//! ([`crate::search`]). It knows neither: dependencies flow one way, from
//! them to here, and nothing here names an image, a filter or a search
//! result. Pure and sans-IO; "now" is always passed in.

pub mod human;
pub mod tabwriter;
pub mod template;
pub mod until;

pub use template::{Template, TemplateError};

/// Control characters (a terminal escape, a tab that would break a table)
/// as `\xHH`: text from outside — Docker Hub's names and descriptions, an
/// archive's member names, a registry's error message — printed to a
/// terminal. Docker prints them raw; this is the one deliberate difference
/// (JSON output is left to JSON's own escaping).
pub fn inert(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            out.push_str(&format!("\\x{:02x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}
