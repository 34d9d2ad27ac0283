//! The realm hosts allowed registries named in their challenges, remembered
//! so the page's token request through the rewritten realm is accepted.
//!
//! The choice (documented in the README's proxy contract): a token request
//! goes through when its host is on the allowlist — which covers the realms
//! of every built-in registry, so several proxy copies behind a load balancer
//! need no shared state — or when an allowed registry's challenge named that
//! realm in *this* process. A named realm opens its own path on its host and
//! nothing else of it (a challenge naming `localhost:9000/token` does not open
//! `localhost:9000/admin`). The memory is bounded (oldest forgotten first) and
//! holds no secret: host, port, path, scheme and the naming registry's trust.

use std::collections::VecDeque;
use std::sync::Mutex;

use super::policy::RealmGrant;
use crate::native::http::target::Authority;
use crate::native::http::url::UpstreamUrl;

/// Realms remembered at most; more are evicted oldest first.
pub const MAX_REALMS: usize = 256;

/// A bounded, thread-safe memory of realms: host and path.
#[derive(Debug, Default)]
pub struct RealmMemory {
    entries: Mutex<VecDeque<(Authority, String, RealmGrant)>>,
}

impl RealmMemory {
    /// An empty memory.
    pub fn new() -> RealmMemory {
        RealmMemory::default()
    }

    /// Remembers (or refreshes) a realm; the strongest grant wins when two
    /// registries name the same realm.
    pub fn remember(&self, realm: &UpstreamUrl, grant: RealmGrant) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        let authority = realm.authority();
        let path = realm.path();
        let previous = entries
            .iter()
            .position(|(a, p, _)| a == authority && p == path)
            .and_then(|i| entries.remove(i));
        let grant = match previous {
            Some((_, _, old)) if old.trust > grant.trust => old,
            _ => grant,
        };
        if entries.len() >= MAX_REALMS {
            entries.pop_front();
        }
        entries.push_back((authority.clone(), path.to_owned(), grant));
    }

    /// The grant for a request to `path` on `authority`, if a challenge named
    /// exactly that realm.
    pub fn get(&self, authority: &Authority, path: &str) -> Option<RealmGrant> {
        let entries = self.entries.lock().ok()?;
        entries
            .iter()
            .find(|(a, p, _)| a == authority && p == path)
            .map(|(_, _, g)| *g)
    }
}
