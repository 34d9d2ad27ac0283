//! The OCI model: digests, references and image-spec documents against the conformance
//! vectors in `tests/vectors/`, configs, and the platform choice.
//!
//! One test binary (fewer link steps for the suite); one module per area.

mod config;
mod digest_vectors;
mod documents;
mod image_spec_vectors;
mod platform_choice;
mod reference_vectors;
mod supply;
