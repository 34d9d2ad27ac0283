//! Layer scanning: tar dialects, gzip and zstd framing, bodies read in chunks, broken and
//! hostile layers, the built-in demo image, and merging scanned layers.
//!
//! One test binary (fewer link steps for the suite); one module per area.

mod demo_image;
mod estargz;
mod image_merge;
mod scan;
mod scan_body;
mod scan_broken;
