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
mod cli {
    use std::io::{self, Write};
    use std::process::ExitCode;

    use clap::{Parser, Subcommand};
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
    }

    pub fn main() -> ExitCode {
        let cli = Cli::parse();
        let result = match cli.command {
            Command::Ref { json, refs } => run_ref(&refs, json),
        };
        match result {
            Ok(code) => code,
            Err(e) => {
                eprintln!("error: {e:#}");
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
