//! `layerlens search`: `docker search` without a daemon. Wiring and
//! printing only; the request, filters and output are `layerlens::search`.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::{anyhow, Context};
use clap::Args;
use layerlens::native::NativeFetch;
use layerlens::search::{search, SearchFilters, SearchFormat, SearchQuery, DOCKER_HUB_SEARCH};

use crate::image::UsageError;

/// `layerlens search [OPTIONS] TERM`.
#[derive(Args, Debug, Clone)]
pub struct SearchArgs {
    /// What to search for (`busybox`, `bitnami/redis`, `docker.io/nginx`).
    #[arg(value_name = "TERM")]
    term: String,
    /// Filter output based on conditions provided: `stars=N`,
    /// `is-official=true|false`, `is-automated=true|false` (deprecated).
    /// Repeatable.
    #[arg(long, short = 'f', value_name = "NAME=VALUE")]
    filter: Vec<String>,
    /// Max number of search results (1–100; default 25).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    limit: Option<i64>,
    /// Don't truncate output.
    #[arg(long)]
    no_trunc: bool,
    /// Pretty-print search using a Go template (`table`, `json`, or a
    /// template over `.Name .Description .StarCount .IsOfficial .IsAutomated`).
    #[arg(long, value_name = "TEMPLATE")]
    format: Option<String>,
    /// Where to search instead of Docker Hub's `https://index.docker.io/v1/search`
    /// (a mirror speaking the same API, or a test's stand-in).
    #[arg(long = "docker-hub-search", value_name = "URL", default_value = DOCKER_HUB_SEARCH)]
    endpoint: String,
}

/// Runs `layerlens search`.
pub fn run_search(args: &SearchArgs) -> anyhow::Result<ExitCode> {
    let usage = |e: &dyn std::fmt::Display| anyhow::Error::from(UsageError(e.to_string()));
    // Everything the user wrote is checked before the request, as the daemon does.
    let filters = SearchFilters::parse(&args.filter).map_err(|e| usage(&e))?;
    let query = SearchQuery::new(&args.term, args.limit).map_err(|e| usage(&e))?;
    let format = SearchFormat::new(args.format.as_deref().unwrap_or("")).map_err(|e| usage(&e))?;
    if filters.has_automated() {
        eprintln!(
            "WARNING: the \"is-automated\" filter is deprecated, and searching for \
             \"is-automated=true\" will not yield any results in future."
        );
    }
    let fetch = NativeFetch::new().map_err(|e| anyhow!("{e}"))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let results = runtime.block_on(search(&fetch, &args.endpoint, &query))?;
    let shown = filters.apply(&results.results);
    let text = format.render(&shown, !args.no_trunc)?;
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
