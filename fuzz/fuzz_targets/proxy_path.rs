//! The proxy's request targets (`serve::ProxyPath::parse`,
//! `/proxy/<host[:port]>/<path>?<query>`): never a panic, and a parsed
//! target, printed back as a proxy path, parses to itself.
#![no_main]
use layerlens::serve::path::{proxy_path, ProxyPath};
use layerlens::serve::Scheme;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(target) = std::str::from_utf8(data) else {
        return;
    };
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (target, None),
    };
    let Ok(parsed) = ProxyPath::parse(path, query) else {
        return;
    };
    assert!(parsed.path().starts_with('/'));
    let url = parsed.with_scheme(Scheme::Https);
    let printed = proxy_path(&url);
    let (p, q) = match printed.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (&printed[..], None),
    };
    assert_eq!(ProxyPath::parse(p, q).as_ref(), Ok(&parsed), "{printed}");
});
