//! `layerlens serve`: the page, the registry CORS proxy and the local
//! registry. Wiring only; the server is `layerlens::serve`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use layerlens::serve::{Config, HostPattern, LocalRegistries, Origin, SearchUpstream};

use crate::limits::LimitArgs;

/// `layerlens serve [OPTIONS]`.
#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the URL printed
    /// says which).
    #[arg(long, default_value = layerlens::serve::DEFAULT_LISTEN, value_name = "ADDR:PORT")]
    listen: SocketAddr,
    /// Also allow this registry (`host`, `host:port`, `*.domain`); it may be
    /// on loopback or a private network. Repeatable.
    #[arg(long = "allow-registry", value_name = "HOST[:PORT]")]
    allow_registry: Vec<HostPattern>,
    /// Allow this registry and speak plain HTTP to it. Repeatable.
    #[arg(long = "insecure-registry", value_name = "HOST[:PORT]")]
    insecure_registry: Vec<HostPattern>,
    /// The built page (Trunk's output directory).
    #[arg(long, default_value = "dist", value_name = "DIR")]
    dist: PathBuf,
    /// Serve the OCI image layout in DIR (from `skopeo copy … oci:DIR:TAG`,
    /// `buildx --output type=oci`, umoci) read-only as the repository NAME:
    /// `ADDR/NAME:TAG`. Repeatable. `demo=DIR` replaces the built-in demo.
    #[arg(long = "layout", value_name = "NAME=DIR", value_parser = parse_layout)]
    layout: Vec<(String, PathBuf)>,
    /// Send the page's Docker Hub searches
    /// (`/proxy/index.docker.io/v1/search?q=…&n=…`) to this URL instead of
    /// `https://index.docker.io/v1/search`: a mirror speaking the same API,
    /// or a test's stand-in. It may be on loopback and use plain HTTP.
    #[arg(long = "docker-hub-search", value_name = "URL")]
    docker_hub_search: Option<SearchUpstream>,
    /// The URL people open the page at when it is not a loopback name or an
    /// address (`https://lens.example.com` behind a reverse proxy). Requests
    /// naming any other host are refused, against DNS rebinding. Repeatable.
    #[arg(long = "public-url", value_name = "URL", value_parser = parse_origin)]
    public_url: Vec<Origin>,
    /// Let pages of this other web origin read the proxy and the local
    /// registry with CORS (`https://tools.example.com`). Every origin listed
    /// can read whatever this server can reach for its users: the allowed
    /// registries, with their credentials, and the local layouts. Repeatable.
    #[arg(long = "cors-origin", value_name = "ORIGIN", value_parser = parse_origin)]
    cors_origin: Vec<Origin>,
    #[command(flatten)]
    limits: LimitArgs,
}

/// `NAME=DIR`: a repository name (checked like a reference's path) and a
/// non-empty directory. A bad value is a usage error (exit 2).
fn parse_layout(value: &str) -> Result<(String, PathBuf), String> {
    let (name, dir) = value
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=DIR, got {value:?}"))?;
    if !layerlens::serve::local::api::is_valid_name(name) {
        return Err(format!(
            "{name:?} is not a repository name (lower-case letters, digits, \
             '.', '_', '-', '/'; e.g. team/app)"
        ));
    }
    if dir.is_empty() {
        return Err("the directory is empty (expected NAME=DIR)".into());
    }
    Ok((name.to_owned(), PathBuf::from(dir)))
}

fn parse_origin(value: &str) -> Result<Origin, String> {
    Origin::parse(value).map_err(|e| e.to_string())
}

/// Runs the server until Ctrl-C.
pub fn run_serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let local = LocalRegistries::open(&args.layout, true)?;
    for repo in local.repositories() {
        for warning in repo.warnings() {
            eprintln!(
                "layerlens: warning: --layout {}={}: {warning}",
                repo.name(),
                repo.origin()
            );
        }
    }
    let mut config = args
        .limits
        .apply(Config::new(args.listen))
        .with_dist(args.dist)
        .with_local_registry(Arc::new(local));
    for pattern in args.allow_registry {
        config = config.allow_registry(pattern);
    }
    for pattern in args.insecure_registry {
        config = config.insecure_registry(pattern);
    }
    if let Some(search) = args.docker_hub_search {
        config = config.with_docker_hub_search(search);
    }
    for origin in args.public_url {
        config = config.public_url(origin);
    }
    for origin in args.cors_origin {
        config = config.cors_origin(origin);
    }
    layerlens::serve::serve(config)?;
    Ok(ExitCode::SUCCESS)
}
