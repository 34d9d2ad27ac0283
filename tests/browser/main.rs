//! The page in headless Chromium (the Debian `chromium` driven by `playwright-core`): the
//! end-to-end flows, the library, hostile images, the gate from other origins, and the CSP.
//!
//! One test binary (fewer link steps for the suite); one module per area.

mod csp;
mod faults;
mod gate;
mod hostile;
mod library;
mod page;
