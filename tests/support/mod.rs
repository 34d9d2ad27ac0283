//! Test support shared by the integration tests.
//!
//! A test file includes all of it with `mod support;`, or only the part it needs with
//! `#[path = "support/registry/mod.rs"] mod registry;` (each submodule is self-contained).
//! Not every test uses every helper, hence the crate-wide `dead_code` allowance here.

#![allow(dead_code)]

pub mod registry;
