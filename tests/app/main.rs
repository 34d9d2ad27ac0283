//! The page's state machine (`layerlens::app`) driven natively with real resolves and
//! scans: errors, the file viewer, kept blobs, failed layers, the library, raw documents,
//! routes, rows, search and updates.
//!
//! One test binary (fewer link steps for the suite); one module per area.

mod archive;
mod compare;
mod errors;
mod faults;
mod file;
mod keep;
mod layer_failure;
mod library;
mod raw;
mod reuse;
mod route;
mod rows;
mod search;
mod seek;
mod supply;
mod toc;
mod update;
mod workbench;
