//! Upstream slots and per-client caps.
//!
//! Every proxied response holds an upstream slot until its body is done
//! ([`super::body::ProxiedBody`] keeps the [`Slot`]). The global pool
//! bounds the server's work; on its own it lets one client take every slot
//! and lock everyone else out. So a slot is two things: one of the client's
//! own ([`PerClient`], refused at once when the client is at its cap, never
//! queued) and one of the pool (waited for briefly, then refused).
//!
//! A client is an IPv4 address, or the /64 an IPv6 address belongs to (one
//! host commonly has a whole /64; IPv4-mapped addresses count as IPv4). The
//! same [`PerClient`] counter caps open connections per client in
//! [`super::server`]. Behind a reverse proxy every request comes from the
//! proxy's address, so the caps then apply to the front proxy as a whole.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::error::ProxyError;

/// What a per-client cap counts: an IPv4 address or an IPv6 /64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientKey(IpAddr);

impl ClientKey {
    /// The key of a peer address.
    pub fn of(ip: IpAddr) -> ClientKey {
        match ip {
            IpAddr::V4(_) => ClientKey(ip),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => ClientKey(IpAddr::V4(v4)),
                None => {
                    let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                    ClientKey(IpAddr::V6(Ipv6Addr::from(prefix)))
                }
            },
        }
    }
}

/// Counts what each client holds, up to a cap. Entries are removed when
/// they reach zero, so the map is never larger than what is held.
#[derive(Debug)]
pub struct PerClient {
    cap: usize,
    held: Mutex<HashMap<ClientKey, usize>>,
}

impl PerClient {
    /// A counter allowing `cap` (at least 1) per client.
    pub fn new(cap: usize) -> Arc<PerClient> {
        Arc::new(PerClient {
            cap: cap.max(1),
            held: Mutex::new(HashMap::new()),
        })
    }

    /// The cap.
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// One more for `ip`'s client, or `None` at its cap. Released when the
    /// guard is dropped.
    pub fn try_take(self: &Arc<Self>, ip: IpAddr) -> Option<ClientGuard> {
        let key = ClientKey::of(ip);
        // A panic while holding the lock cannot leave a count half-updated.
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        // The cap is at least 1, so an entry is only ever created to be
        // incremented: no zero is left behind.
        let n = held.entry(key).or_insert(0);
        if *n >= self.cap {
            return None;
        }
        *n += 1;
        Some(ClientGuard {
            owner: self.clone(),
            key,
        })
    }

    /// How many `ip`'s client holds now.
    pub fn held(&self, ip: IpAddr) -> usize {
        let held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        held.get(&ClientKey::of(ip)).copied().unwrap_or(0)
    }

    /// How many clients hold anything (the size of the map).
    pub fn clients(&self) -> usize {
        self.held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// One unit held by a client; gives it back when dropped.
#[derive(Debug)]
pub struct ClientGuard {
    owner: Arc<PerClient>,
    key: ClientKey,
}

impl Drop for ClientGuard {
    fn drop(&mut self) {
        let mut held = self
            .owner
            .held
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = held.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                held.remove(&self.key);
            }
        }
    }
}

/// The upstream slots: a global pool and a per-client cap.
pub struct Slots {
    pool: Arc<Semaphore>,
    per_client: Arc<PerClient>,
    wait: Duration,
}

impl Slots {
    /// `max` slots in all (at least 1), `per_client` per client; a request
    /// under its client's cap waits up to `wait` for a slot of the pool.
    pub fn new(max: usize, per_client: usize, wait: Duration) -> Slots {
        Slots {
            pool: Arc::new(Semaphore::new(max.max(1))),
            per_client: PerClient::new(per_client),
            wait,
        }
    }

    /// A slot for a request from `client`: [`ProxyError::ClientBusy`] at
    /// once when the client holds its cap already, [`ProxyError::Busy`]
    /// when the pool has no slot within the wait.
    pub async fn acquire(&self, client: IpAddr) -> Result<Slot, ProxyError> {
        let own = self
            .per_client
            .try_take(client)
            .ok_or(ProxyError::ClientBusy {
                cap: self.per_client.cap(),
            })?;
        let pooled = tokio::time::timeout(self.wait, self.pool.clone().acquire_owned())
            .await
            .map_err(|_| ProxyError::Busy)?
            .map_err(|_| ProxyError::Busy)?;
        Ok(Slot {
            _own: own,
            _pooled: pooled,
        })
    }

    /// The per-client counter (for tests and diagnostics).
    pub fn per_client(&self) -> &PerClient {
        &self.per_client
    }
}

/// One upstream slot; both halves are released when it is dropped.
#[derive(Debug)]
pub struct Slot {
    _own: ClientGuard,
    _pooled: OwnedSemaphorePermit,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_client_is_an_ipv4_address_or_an_ipv6_64() {
        assert_eq!(ClientKey::of(ip("10.0.0.1")), ClientKey(ip("10.0.0.1")));
        assert_ne!(ClientKey::of(ip("10.0.0.1")), ClientKey::of(ip("10.0.0.2")));
        assert_eq!(
            ClientKey::of(ip("2001:db8:1:2:aaaa::1")),
            ClientKey::of(ip("2001:db8:1:2:bbbb::2"))
        );
        assert_ne!(
            ClientKey::of(ip("2001:db8:1:2::1")),
            ClientKey::of(ip("2001:db8:1:3::1"))
        );
        assert_eq!(
            ClientKey::of(ip("::ffff:10.0.0.1")),
            ClientKey::of(ip("10.0.0.1"))
        );
    }

    #[test]
    fn the_cap_is_per_client_and_the_map_shrinks_back() {
        let counter = PerClient::new(2);
        let a = ip("127.0.0.1");
        let b = ip("127.0.0.2");
        let one = counter.try_take(a).unwrap();
        let two = counter.try_take(a).unwrap();
        assert!(counter.try_take(a).is_none());
        let other = counter.try_take(b).unwrap();
        assert_eq!((counter.held(a), counter.held(b)), (2, 1));
        drop(one);
        let three = counter.try_take(a).unwrap();
        drop((two, three, other));
        assert_eq!(counter.clients(), 0);
    }

    #[tokio::test]
    async fn a_client_at_its_cap_is_refused_without_waiting() {
        let slots = Slots::new(4, 1, Duration::from_secs(3600));
        let a = ip("127.0.0.1");
        let held = slots.acquire(a).await.unwrap();
        let refused = slots.acquire(a).await.unwrap_err();
        assert!(matches!(refused, ProxyError::ClientBusy { cap: 1 }));
        // Another client still gets one of the pool.
        let other = slots.acquire(ip("127.0.0.2")).await.unwrap();
        drop((held, other));
        assert!(slots.acquire(a).await.is_ok());
        assert_eq!(slots.per_client().clients(), 0);
    }

    #[tokio::test]
    async fn an_empty_pool_is_busy_after_the_wait() {
        let slots = Slots::new(1, 8, Duration::from_millis(50));
        let _held = slots.acquire(ip("127.0.0.1")).await.unwrap();
        let refused = slots.acquire(ip("127.0.0.2")).await.unwrap_err();
        assert!(matches!(refused, ProxyError::Busy));
        // The refused request's own half was given back.
        assert_eq!(slots.per_client().held(ip("127.0.0.2")), 0);
    }
}
