//! `layerlens serve`'s limits: the flags that size the upstream slots, the
//! per-client caps and the stall window (see the README's "Limits").

use std::time::Duration;

use clap::builder::TypedValueParser as _;
use clap::Args;
use layerlens::serve::{
    Config, DEFAULT_MAX_CONNECTIONS_PER_CLIENT, DEFAULT_MAX_UPSTREAM,
    DEFAULT_MAX_UPSTREAM_PER_CLIENT,
};

/// The limit flags of `layerlens serve`, flattened into its arguments.
#[derive(Args, Debug, Clone)]
pub struct LimitArgs {
    /// Upstream requests in flight at most (each holds its slot until its
    /// body is done); a request waits up to 10 s for one, then 503.
    #[arg(long = "max-upstream", value_name = "N", default_value_t = DEFAULT_MAX_UPSTREAM,
          value_parser = clap::value_parser!(u32).range(1..).map(|n| n as usize))]
    max_upstream: usize,
    /// Upstream requests in flight per client (IPv4 address or IPv6 /64);
    /// one more is refused at once with 503. Behind a reverse proxy every
    /// client has the proxy's address: raise it to --max-upstream there.
    #[arg(long = "max-upstream-per-client", value_name = "N",
          default_value_t = DEFAULT_MAX_UPSTREAM_PER_CLIENT,
          value_parser = clap::value_parser!(u32).range(1..).map(|n| n as usize))]
    max_upstream_per_client: usize,
    /// Open connections per client (of 1024 in all); more are closed when
    /// accepted.
    #[arg(long = "max-connections-per-client", value_name = "N",
          default_value_t = DEFAULT_MAX_CONNECTIONS_PER_CLIENT,
          value_parser = clap::value_parser!(u32).range(1..).map(|n| n as usize))]
    max_connections_per_client: usize,
    /// A client taking a response, and a registry sending one, must move at
    /// least 16 KiB per SECS of waiting on them, or the response is cut and
    /// its slot freed.
    #[arg(long = "stall-timeout", value_name = "SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    stall_timeout: u64,
}

impl LimitArgs {
    /// The configuration with these limits.
    pub fn apply(&self, config: Config) -> Config {
        config
            .with_max_upstream(self.max_upstream)
            .with_max_upstream_per_client(self.max_upstream_per_client)
            .with_max_connections_per_client(self.max_connections_per_client)
            .with_stall_window(Duration::from_secs(self.stall_timeout))
    }
}
