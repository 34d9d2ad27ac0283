//! The realm hosts allowed registries named in their challenges, remembered
//! so the page's token request through the rewritten realm is accepted.
//!
//! The choice (documented in the README's proxy contract): a token request
//! goes through when its host is on the allowlist — which covers the realms
//! of every built-in registry, so several proxy copies behind a load balancer
//! need no shared state — or when an allowed registry's challenge named that
//! host in *this* process. The memory is bounded (oldest forgotten first) and
//! holds no secret: host, port, scheme and the naming registry's trust.

use std::collections::VecDeque;
use std::sync::Mutex;

use super::policy::RealmGrant;
use super::target::Authority;

/// Realm hosts remembered at most; more are evicted oldest first.
pub const MAX_REALMS: usize = 256;

/// A bounded, thread-safe memory of realm hosts.
#[derive(Debug, Default)]
pub struct RealmMemory {
    entries: Mutex<VecDeque<(Authority, RealmGrant)>>,
}

impl RealmMemory {
    /// An empty memory.
    pub fn new() -> RealmMemory {
        RealmMemory::default()
    }

    /// Remembers (or refreshes) a realm host; the strongest grant wins when
    /// two registries name the same realm.
    pub fn remember(&self, authority: Authority, grant: RealmGrant) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        let previous = entries
            .iter()
            .position(|(a, _)| *a == authority)
            .and_then(|i| entries.remove(i));
        let grant = match previous {
            Some((_, old)) if old.trust > grant.trust => old,
            _ => grant,
        };
        if entries.len() >= MAX_REALMS {
            entries.pop_front();
        }
        entries.push_back((authority, grant));
    }

    /// The grant for a host, if a challenge named it.
    pub fn get(&self, authority: &Authority) -> Option<RealmGrant> {
        let entries = self.entries.lock().ok()?;
        entries
            .iter()
            .find(|(a, _)| a == authority)
            .map(|(_, g)| *g)
    }
}
