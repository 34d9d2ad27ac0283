//! The `layerlens` command line: thin wiring around the core.
//!
//! Exit status: 0 on success, 1 when an input, registry or verification error
//! occurred, 2 on usage errors (clap's default for unknown flags and missing
//! arguments).

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

/// The binary is native-only; this keeps `cargo build --target wasm32-…` of
/// all targets compiling.
#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
#[path = "layerlens/image.rs"]
mod image;

#[cfg(not(target_arch = "wasm32"))]
#[path = "layerlens/search.rs"]
mod search;

#[cfg(not(target_arch = "wasm32"))]
#[path = "layerlens/limits.rs"]
mod limits;

#[cfg(not(target_arch = "wasm32"))]
mod cli {
    use std::io::{self, Write};
    use std::process::ExitCode;

    use clap::{Parser, Subcommand};

    use crate::image::{self, ImageArgs, RegistryArgs, TreeFormat, UsageError};
    use crate::limits::LimitArgs;
    use crate::search::{self, SearchArgs};
    use layerlens::oci::Reference;
    use serde::Serialize;

    /// Inspect container images: references, manifests, layers and the
    /// merged filesystem, with every object verified.
    #[derive(Parser)]
    #[command(name = "layerlens", version)]
    struct Cli {
        #[command(subcommand)]
        command: Command,
    }

    #[derive(Subcommand)]
    enum Command {
        /// What `docker image inspect` shows, plus the platforms of an index,
        /// per-layer sizes and the verification of every object.
        Inspect {
            #[command(flatten)]
            image: ImageArgs,
            /// Print one JSON document.
            #[arg(long)]
            json: bool,
            #[command(flatten)]
            registry: RegistryArgs,
        },
        /// The merged filesystem (or one layer's own entries), every layer verified.
        Tree {
            #[command(flatten)]
            image: ImageArgs,
            /// List only this layer's own entries (0 is the lowest layer).
            #[arg(long, value_name = "N")]
            layer: Option<usize>,
            /// Output format; `tsv` is the canonical listing.
            #[arg(long, value_enum, default_value = "tsv")]
            format: TreeFormat,
            #[command(flatten)]
            registry: RegistryArgs,
        },
        /// The platforms of a multi-platform image.
        Platforms {
            #[command(flatten)]
            image: ImageArgs,
            #[command(flatten)]
            registry: RegistryArgs,
        },
        /// The tags of a repository.
        Tags {
            /// The repository (`alpine`, `ghcr.io/org/app`).
            #[arg(value_name = "REPO")]
            repository: String,
            /// Ask the registry for pages of this many tags.
            #[arg(long, value_name = "N")]
            page_size: Option<u32>,
            #[command(flatten)]
            registry: RegistryArgs,
        },
        /// Search Docker Hub for images, as `docker search` does.
        ///
        /// Prints NAME, DESCRIPTION (cut to 45 columns unless --no-trunc),
        /// STARS and OFFICIAL, or what --format asks for.
        Search(SearchArgs),
        /// Parse and normalise image references exactly as Docker does.
        ///
        /// Prints the fully qualified reference for each input, e.g.
        /// `busybox` → `docker.io/library/busybox`.
        Ref {
            /// One JSON object per input and line: input, name, domain, path,
            /// tag, digest, string, familiar, pull (or input and error).
            #[arg(long)]
            json: bool,
            /// References as you would give them to `docker pull`.
            #[arg(required = true, value_name = "REF")]
            refs: Vec<String>,
        },
        /// Serve the page and the registry CORS proxy.
        ///
        /// The proxy forwards `GET|HEAD /proxy/<host[:port]>/v2/...` to the
        /// built-in public registries and the ones allowed here, and
        /// `GET /proxy/index.docker.io/v1/search?q=…&n=…` to Docker Hub's
        /// search (or --docker-hub-search), and nothing else; see the
        /// README's "Proxy contract".
        Serve {
            /// Address to listen on (port 0 picks a free port; the URL printed
            /// says which).
            #[arg(long, default_value = layerlens::proxy::DEFAULT_LISTEN, value_name = "ADDR:PORT")]
            listen: std::net::SocketAddr,
            /// Also allow this registry (`host`, `host:port`, `*.domain`); it may be
            /// on loopback or a private network. Repeatable.
            #[arg(long = "allow-registry", value_name = "HOST[:PORT]")]
            allow_registry: Vec<layerlens::proxy::HostPattern>,
            /// Allow this registry and speak plain HTTP to it. Repeatable.
            #[arg(long = "insecure-registry", value_name = "HOST[:PORT]")]
            insecure_registry: Vec<layerlens::proxy::HostPattern>,
            /// The built page (Trunk's output directory).
            #[arg(long, default_value = "dist", value_name = "DIR")]
            dist: std::path::PathBuf,
            /// Serve the OCI image layout in DIR (from `skopeo copy … oci:DIR:TAG`,
            /// `buildx --output type=oci`, umoci) read-only as the repository NAME:
            /// `ADDR/NAME:TAG`. Repeatable. `demo=DIR` replaces the built-in demo.
            #[arg(long = "layout", value_name = "NAME=DIR", value_parser = parse_layout)]
            layout: Vec<(String, std::path::PathBuf)>,
            /// Send the page's Docker Hub searches
            /// (`/proxy/index.docker.io/v1/search?q=…&n=…`) to this URL instead of
            /// `https://index.docker.io/v1/search`: a mirror speaking the same API,
            /// or a test's stand-in. It may be on loopback and use plain HTTP.
            #[arg(long = "docker-hub-search", value_name = "URL")]
            docker_hub_search: Option<layerlens::proxy::SearchUpstream>,
            #[command(flatten)]
            limits: LimitArgs,
        },
    }

    pub fn main() -> ExitCode {
        let cli = Cli::parse();
        let result = match cli.command {
            Command::Inspect {
                image,
                json,
                registry,
            } => image::run_inspect(&image, json, &registry),
            Command::Tree {
                image,
                layer,
                format,
                registry,
            } => image::run_tree(&image, layer, format, &registry),
            Command::Platforms { image, registry } => image::run_platforms(&image, &registry),
            Command::Tags {
                repository,
                page_size,
                registry,
            } => image::run_tags(&repository, page_size, &registry),
            Command::Search(args) => search::run_search(&args),
            Command::Ref { json, refs } => run_ref(&refs, json),
            Command::Serve {
                listen,
                allow_registry,
                insecure_registry,
                dist,
                layout,
                docker_hub_search,
                limits,
            } => run_serve(
                listen,
                allow_registry,
                insecure_registry,
                dist,
                &layout,
                docker_hub_search,
                &limits,
            ),
        };
        match result {
            Ok(code) => code,
            // `layerlens tree … | head`: the reader left; nothing to report.
            Err(e)
                if e.chain().any(|c| {
                    c.downcast_ref::<io::Error>()
                        .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
                }) =>
            {
                ExitCode::SUCCESS
            }
            Err(e) if e.downcast_ref::<UsageError>().is_some() => {
                eprintln!("error: {e:#}");
                ExitCode::from(2)
            }
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        }
    }

    /// `NAME=DIR`: a repository name (checked like a reference's path) and a
    /// non-empty directory. A bad value is a usage error (exit 2).
    fn parse_layout(value: &str) -> Result<(String, std::path::PathBuf), String> {
        let (name, dir) = value
            .split_once('=')
            .ok_or_else(|| format!("expected NAME=DIR, got {value:?}"))?;
        if !layerlens::proxy::local::api::is_valid_name(name) {
            return Err(format!(
                "{name:?} is not a repository name (lower-case letters, digits, \
                 '.', '_', '-', '/'; e.g. team/app)"
            ));
        }
        if dir.is_empty() {
            return Err("the directory is empty (expected NAME=DIR)".into());
        }
        Ok((name.to_owned(), std::path::PathBuf::from(dir)))
    }

    fn run_serve(
        listen: std::net::SocketAddr,
        allow: Vec<layerlens::proxy::HostPattern>,
        insecure: Vec<layerlens::proxy::HostPattern>,
        dist: std::path::PathBuf,
        layouts: &[(String, std::path::PathBuf)],
        docker_hub_search: Option<layerlens::proxy::SearchUpstream>,
        limits: &LimitArgs,
    ) -> anyhow::Result<ExitCode> {
        let local = layerlens::proxy::LocalRegistries::open(layouts, true)?;
        for repo in local.repositories() {
            for warning in repo.warnings() {
                eprintln!(
                    "layerlens: warning: --layout {}={}: {warning}",
                    repo.name(),
                    repo.origin()
                );
            }
        }
        let mut config = limits
            .apply(layerlens::proxy::Config::new(listen))
            .with_dist(dist)
            .with_local_registry(std::sync::Arc::new(local));
        for pattern in allow {
            config = config.allow_registry(pattern);
        }
        for pattern in insecure {
            config = config.insecure_registry(pattern);
        }
        if let Some(search) = docker_hub_search {
            config = config.with_docker_hub_search(search);
        }
        layerlens::proxy::serve(config)?;
        Ok(ExitCode::SUCCESS)
    }

    /// `layerlens ref --json` output for a valid input.
    #[derive(Serialize)]
    struct RefJson<'a> {
        input: &'a str,
        name: String,
        domain: &'a str,
        path: &'a str,
        tag: Option<&'a str>,
        digest: Option<String>,
        string: String,
        familiar: String,
        pull: String,
    }

    /// `layerlens ref --json` output for an invalid input.
    #[derive(Serialize)]
    struct RefErrorJson<'a> {
        input: &'a str,
        error: String,
    }

    fn run_ref(refs: &[String], json: bool) -> anyhow::Result<ExitCode> {
        let stdout = io::stdout();
        let mut out = io::BufWriter::new(stdout.lock());
        let mut any_invalid = false;
        for input in refs {
            match Reference::parse_normalized(input) {
                Ok(r) if json => {
                    let line = RefJson {
                        input,
                        name: r.name(),
                        domain: r.domain(),
                        path: r.path(),
                        tag: r.tag(),
                        digest: r.digest().map(ToString::to_string),
                        string: r.to_string(),
                        familiar: r.familiar_string(),
                        pull: r.pull_reference().to_string(),
                    };
                    serde_json::to_writer(&mut out, &line)?;
                    writeln!(out)?;
                }
                Ok(r) => writeln!(out, "{r}")?,
                Err(e) => {
                    any_invalid = true;
                    if json {
                        let line = RefErrorJson {
                            input,
                            error: e.to_string(),
                        };
                        serde_json::to_writer(&mut out, &line)?;
                        writeln!(out)?;
                    } else {
                        // Keep stdout and stderr in input order.
                        out.flush()?;
                        eprintln!("error: {input}: {e}");
                    }
                }
            }
        }
        out.flush()?;
        Ok(if any_invalid {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        })
    }
}
