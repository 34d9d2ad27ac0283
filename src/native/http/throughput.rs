//! The minimum-throughput rule applied to both ends of a proxied response:
//! the client socket the server writes to ([`crate::serve::conn`]) and the upstream
//! body it reads from ([`super::client`]).
//!
//! An idle timeout alone is reset by every byte, so a peer that moves one
//! byte a second holds its upstream slot for as long as it likes. The rule
//! here is a budget instead: while the proxy *waits* on a peer, that peer
//! must move at least [`MinThroughput::bytes`] within
//! [`MinThroughput::window`] of waiting. Time the proxy does not spend
//! waiting on that peer (the other end applying backpressure, or simply
//! having nothing to send) is not counted against it, and once the bytes are
//! reached the budget starts over. A transfer that ends is fine however
//! small it was.
//!
//! [`Meter`] is the bookkeeping without a clock: the caller passes `now`.

use std::time::{Duration, Instant};

/// Bytes a peer must move per window of time spent waiting on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MinThroughput {
    /// At least this many bytes…
    pub bytes: u64,
    /// …within this much waiting.
    pub window: Duration,
}

/// The default byte budget: 16 KiB per window, about 550 bytes a second
/// with the default window — far below any link a person would use, far
/// above a peer that trickles to hold a slot.
pub const MIN_BYTES: u64 = 16 * 1024;

/// The default window.
pub const WINDOW: Duration = Duration::from_secs(30);

impl Default for MinThroughput {
    fn default() -> Self {
        MinThroughput {
            bytes: MIN_BYTES,
            window: WINDOW,
        }
    }
}

impl MinThroughput {
    /// The default byte budget within `window` (`--stall-timeout SECS`).
    pub fn within(window: Duration) -> MinThroughput {
        MinThroughput {
            bytes: MIN_BYTES,
            window,
        }
    }
}

/// One peer's budget: bytes moved and time waited in the current window.
#[derive(Debug, Clone)]
pub struct Meter {
    rule: MinThroughput,
    moved: u64,
    waited: Duration,
    since: Option<Instant>,
}

impl Meter {
    /// A fresh budget.
    pub fn new(rule: MinThroughput) -> Meter {
        Meter {
            rule,
            moved: 0,
            waited: Duration::ZERO,
            since: None,
        }
    }

    /// The peer could not move anything now: the clock runs from `now`
    /// (a repeated call during the same wait changes nothing). Returns the
    /// instant at which the window is spent.
    pub fn wait(&mut self, now: Instant) -> Instant {
        let since = *self.since.get_or_insert(now);
        since + self.rule.window.saturating_sub(self.waited)
    }

    /// The peer moved `n` bytes at `now`: the wait (if any) ends, and the
    /// window starts over once enough bytes were moved.
    pub fn moved(&mut self, n: u64, now: Instant) {
        if let Some(since) = self.since.take() {
            self.waited += now.saturating_duration_since(since);
        }
        self.moved = self.moved.saturating_add(n);
        if self.moved >= self.rule.bytes {
            self.moved = 0;
            self.waited = Duration::ZERO;
        }
    }

    /// Whether the window is spent at `now` without enough bytes.
    pub fn expired(&self, now: Instant) -> bool {
        let current = self
            .since
            .map_or(Duration::ZERO, |s| now.saturating_duration_since(s));
        self.waited + current >= self.rule.window
    }

    /// The rule in force.
    pub fn rule(&self) -> MinThroughput {
        self.rule
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> MinThroughput {
        MinThroughput {
            bytes: 100,
            window: Duration::from_secs(10),
        }
    }

    #[test]
    fn waiting_without_bytes_spends_the_window() {
        let t0 = Instant::now();
        let mut m = Meter::new(rule());
        assert_eq!(m.wait(t0), t0 + Duration::from_secs(10));
        // A second poll during the same wait does not move the deadline.
        assert_eq!(
            m.wait(t0 + Duration::from_secs(3)),
            t0 + Duration::from_secs(10)
        );
        assert!(!m.expired(t0 + Duration::from_secs(9)));
        assert!(m.expired(t0 + Duration::from_secs(10)));
    }

    #[test]
    fn a_trickle_spends_the_window_across_waits() {
        let t0 = Instant::now();
        let mut m = Meter::new(rule());
        let mut now = t0;
        for _ in 0..9 {
            m.wait(now);
            now += Duration::from_secs(1);
            m.moved(1, now);
        }
        // 9 s waited, 9 bytes moved: one more second of waiting is the end.
        assert_eq!(m.wait(now), now + Duration::from_secs(1));
        assert!(m.expired(now + Duration::from_secs(1)));
    }

    #[test]
    fn enough_bytes_start_the_window_over() {
        let t0 = Instant::now();
        let mut m = Meter::new(rule());
        m.wait(t0);
        m.moved(60, t0 + Duration::from_secs(8));
        m.wait(t0 + Duration::from_secs(8));
        m.moved(40, t0 + Duration::from_secs(9));
        let later = t0 + Duration::from_secs(20);
        assert_eq!(m.wait(later), later + Duration::from_secs(10));
    }

    #[test]
    fn time_not_spent_waiting_does_not_count() {
        let t0 = Instant::now();
        let mut m = Meter::new(rule());
        m.wait(t0);
        m.moved(1, t0 + Duration::from_secs(5));
        // An hour of backpressure from the other end, then a new wait.
        let later = t0 + Duration::from_secs(3600);
        assert!(!m.expired(later));
        assert_eq!(m.wait(later), later + Duration::from_secs(5));
    }
}
