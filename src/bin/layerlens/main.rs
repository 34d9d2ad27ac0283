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
mod cat;

#[cfg(not(target_arch = "wasm32"))]
mod check;

#[cfg(not(target_arch = "wasm32"))]
mod diff;

#[cfg(not(target_arch = "wasm32"))]
mod image;

#[cfg(not(target_arch = "wasm32"))]
mod referrers;

#[cfg(not(target_arch = "wasm32"))]
mod search;

#[cfg(not(target_arch = "wasm32"))]
mod serve;

#[cfg(not(target_arch = "wasm32"))]
mod limits;

#[cfg(not(target_arch = "wasm32"))]
mod cli {
    use std::io::{self, Write};
    use std::process::ExitCode;

    use clap::{Parser, Subcommand};

    use crate::cat;
    use crate::image::{self, ImageArgs, RegistryArgs, TreeFormat, UsageError, VerifyMode};
    use crate::referrers;
    use crate::search::{self, SearchArgs};
    use crate::serve;
    use crate::{check, diff};
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
            /// How far each layer is checked: `full` streams every blob and
            /// checks its digest, diff_id and files; `toc` lists zstd:chunked
            /// and eStargz layers from their tables of contents (the listing
            /// is the one the manifest names; the blob is not read).
            #[arg(long, value_enum, default_value = "full")]
            verify: VerifyMode,
            #[command(flatten)]
            registry: RegistryArgs,
        },
        /// Write one file of the image (its merged tree) to stdout, verified.
        ///
        /// The file's bytes are checked before any is written: against its
        /// digest in the layer's table of contents when the layer has one
        /// (read by Range, a small part of the blob), else by streaming its
        /// layer to the end and checking the blob's digest.
        Cat {
            #[command(flatten)]
            image: ImageArgs,
            /// The file's path in the image (`/etc/os-release`).
            #[arg(value_name = "PATH")]
            path: String,
            /// How far each layer is checked to build the tree that finds
            /// the file: `toc` lists zstd:chunked and eStargz layers from
            /// their tables of contents and reads the file by Range; `full`
            /// streams every layer.
            #[arg(long, value_enum, default_value = "toc")]
            verify: VerifyMode,
            #[command(flatten)]
            registry: RegistryArgs,
        },
        /// What changed between two images, or two platforms of one: the
        /// paths added, removed and modified (type, mode, owner, size,
        /// content or link target), the layers they share and the config
        /// fields that differ. Exit status as diff(1): 0 the same, 1
        /// different, 2 trouble.
        Diff {
            #[command(flatten)]
            args: diff::DiffArgs,
            #[command(flatten)]
            registry: RegistryArgs,
        },
        /// dive's CI rules (`.dive-ci`: lowestEfficiency, highestWastedBytes,
        /// highestUserWastedPercent) against the image: one line per rule
        /// and PASS or FAIL; exit 1 on failure.
        Check {
            #[command(flatten)]
            image: ImageArgs,
            /// The rules file (dive's `.dive-ci` format); dive's defaults
            /// without one.
            #[arg(long, value_name = "PATH")]
            ci_config: Option<std::path::PathBuf>,
            #[command(flatten)]
            registry: RegistryArgs,
        },
        /// What is attached to the image: signatures, SBOMs and provenance
        /// from the referrers API (or its `sha256-<hex>` tag fallback),
        /// cosign tags and the index's BuildKit attestations, each verified
        /// by digest. Signatures are checked for what they claim, not
        /// cryptographically.
        Referrers {
            #[command(flatten)]
            image: ImageArgs,
            /// Only attachments of this artifact type.
            #[arg(long, value_name = "TYPE")]
            artifact_type: Option<String>,
            /// Print a JSON array, one object per attachment.
            #[arg(long)]
            json: bool,
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
        Serve(serve::ServeArgs),
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
                verify,
                registry,
            } => image::run_tree(&image, layer, format, verify, &registry),
            Command::Cat {
                image,
                path,
                verify,
                registry,
            } => cat::run_cat(&image, &path, verify, &registry),
            Command::Diff { args, registry } => Ok(diff::run_diff(&args, &registry)),
            Command::Check {
                image,
                ci_config,
                registry,
            } => Ok(check::run_check(&image, ci_config.as_deref(), &registry)),
            Command::Referrers {
                image,
                artifact_type,
                json,
                registry,
            } => referrers::run_referrers(&image, artifact_type.as_deref(), json, &registry),
            Command::Platforms { image, registry } => image::run_platforms(&image, &registry),
            Command::Tags {
                repository,
                page_size,
                registry,
            } => image::run_tags(&repository, page_size, &registry),
            Command::Search(args) => search::run_search(&args),
            Command::Ref { json, refs } => run_ref(&refs, json),
            Command::Serve(args) => serve::run_serve(args),
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
                eprintln!("error: {}", layerlens::dockerfmt::inert(&format!("{e:#}")));
                ExitCode::from(2)
            }
            Err(e) => {
                eprintln!("error: {}", layerlens::dockerfmt::inert(&format!("{e:#}")));
                ExitCode::FAILURE
            }
        }
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
