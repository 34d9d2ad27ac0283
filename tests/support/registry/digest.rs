//! Digests computed directly with `sha2`, independently of the product's `oci` module, so the
//! harness is a second opinion rather than the code under test checking itself.

use sha2::{Digest as _, Sha256};

/// `sha256:<64 lower-case hex>` of `bytes` (OCI image spec, descriptor.md "Digests").
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(bytes)))
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The 64 hex characters of a `sha256:` digest; panics on anything else, since the harness
/// only ever handles digests it computed itself.
pub(crate) fn sha256_hex(digest: &str) -> &str {
    match digest.strip_prefix("sha256:") {
        Some(hex) if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => hex,
        _ => panic!("not a sha256 digest: {digest:?}"),
    }
}
