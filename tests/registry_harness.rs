//! Proves the registry harness works against the real registry.

mod support;

#[test]
fn smoke() {
    let registry = support::registry::Registry::start(support::registry::Flavor::Open);
    let r = registry.client().get("/v2/", &[]);
    assert_eq!(r.status, 200);
}
