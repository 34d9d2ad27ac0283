//! `layerlens diff A B`: what changed between two images (or two platforms
//! of one), as `diff(1)` answers: exit 0 when the merged trees and configs
//! are the same, 1 when they differ, 2 on error. Wiring and printing only:
//! the comparison is `layerlens::fs::diff`, the gate `layerlens::fs::gate`.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use layerlens::fs::diff::{Change, DiffEntry, DiffOptions, TreeDiff};
use layerlens::fs::{escape, human_size_binary, ListingRow};
use layerlens::inspect::compare::{Comparison, ConfigField};
use layerlens::inspect::Image;
use serde_json::{json, Map, Value};

use crate::image::{open_whole, or_two, ImageArgs, RegistryArgs};

/// How `diff` prints.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffFormat {
    /// A summary line, then one line per changed path.
    Text,
    /// One JSON object.
    Json,
}

/// `layerlens diff`'s options.
#[derive(Args, Debug, Clone)]
pub struct DiffArgs {
    /// The first image (registry reference, or one on disk).
    #[arg(value_name = "A")]
    a: String,
    /// The second image.
    #[arg(value_name = "B")]
    b: String,
    /// The platform of both, from a multi-platform image.
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    platform: Option<String>,
    /// The platform of A (overrides --platform).
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    platform_a: Option<String>,
    /// The platform of B (overrides --platform).
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    platform_b: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: DiffFormat,
    /// Count a changed modification time alone as a modification
    /// (rebuilds touch every mtime, so it is not by default).
    #[arg(long)]
    mtime: bool,
    /// A gate: exit 1 only when one of these rules breaks (and 0 when the
    /// images differ otherwise): `added=GLOB`, `removed=GLOB`,
    /// `modified=GLOB`, `setuid`, `larger=SIZE`, comma-separated.
    #[arg(long, value_name = "RULES")]
    fail_on: Option<String>,
}

/// One side: its image and its merged tree.
struct Side {
    image: Image,
    fs: layerlens::fs::MergedFs,
}

fn side(
    reference: &str,
    platform: Option<String>,
    registry: &RegistryArgs,
) -> anyhow::Result<Side> {
    let args = ImageArgs::new(reference.to_owned(), platform);
    let (image, fs) = open_whole(&args, registry, true)?;
    Ok(Side { image, fs })
}

fn row_json(r: &ListingRow) -> Value {
    json!({
        "path": escape(&r.path),
        "type": r.kind.letter().to_string(),
        "mode": format!("{:04o}", r.mode),
        "uid": r.uid,
        "gid": r.gid,
        "size": r.size,
        "sha256": r.sha256.map(|h| h.iter().map(|b| format!("{b:02x}")).collect::<String>()),
        "target": r.target.as_ref().map(|t| escape(t)),
    })
}

fn entry_json(e: &DiffEntry) -> Value {
    match e.change {
        Change::Added => e.after.as_ref().map_or(Value::Null, row_json),
        Change::Removed => e.before.as_ref().map_or(Value::Null, row_json),
        Change::Modified => json!({
            "path": escape(e.path()),
            "changed": e.changed,
            "before": e.before.as_ref().map(row_json),
            "after": e.after.as_ref().map(row_json),
        }),
    }
}

fn name(i: &Image) -> String {
    i.reference.familiar_string()
}

/// `layerlens diff`.
pub fn run_diff(args: &DiffArgs, registry: &RegistryArgs) -> ExitCode {
    or_two(compare(args, registry))
}

fn compare(args: &DiffArgs, registry: &RegistryArgs) -> anyhow::Result<ExitCode> {
    let gate = match &args.fail_on {
        Some(text) => Some(
            layerlens::fs::gate::parse_rules(text).map_err(|e| anyhow::anyhow!("--fail-on {e}"))?,
        ),
        None => None,
    };
    let pa = args.platform_a.clone().or(args.platform.clone());
    let pb = args.platform_b.clone().or(args.platform.clone());
    let a = side(&args.a, pa, registry)?;
    let b = side(&args.b, pb, registry)?;
    let options = DiffOptions { mtime: args.mtime };
    let cmp = Comparison::of(&a.image, &a.fs, &b.image, &b.fs, options);
    let tree = &cmp.tree;
    let config: Vec<&ConfigField> = cmp.config_changes().collect();
    let layers = &cmp.layers;
    let mut out = io::BufWriter::new(io::stdout().lock());
    match args.format {
        DiffFormat::Json => {
            let pick = |c: Change| {
                tree.entries
                    .iter()
                    .filter(|e| e.change == c)
                    .map(entry_json)
                    .collect::<Vec<_>>()
            };
            let mut cfg = Map::new();
            for f in &config {
                cfg.insert(f.name.to_owned(), json!({ "a": f.a, "b": f.b }));
            }
            let (added_bytes, removed_bytes) = tree.bytes();
            let doc = json!({
                "a": { "reference": name(&a.image), "digest": a.image.digest.to_string() },
                "b": { "reference": name(&b.image), "digest": b.image.digest.to_string() },
                "added": pick(Change::Added),
                "removed": pick(Change::Removed),
                "modified": pick(Change::Modified),
                "bytes": { "added": added_bytes, "removed": removed_bytes },
                "layers": {
                    "a": layers.a,
                    "b": layers.b,
                    "shared": layers.shared.iter().map(ToString::to_string).collect::<Vec<_>>(),
                    "base": layers.base,
                },
                "config": cfg,
            });
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
        DiffFormat::Text => write_text(&mut out, &a, &b, &cmp)?,
    }
    out.flush()?;
    if let Some(rules) = gate {
        // The verdicts go to stderr, so stdout stays the diff (JSON stays JSON).
        let mut broken = 0;
        for (rule, hits) in layerlens::fs::gate::evaluate(&rules, tree) {
            if hits.is_empty() {
                eprintln!("PASS: {}", rule.text());
                continue;
            }
            broken += 1;
            eprintln!("FAIL: {}: {} paths", rule.text(), hits.len());
            for e in hits.iter().take(20) {
                eprintln!("  {} {}", e.change.symbol(), escape(e.path()));
            }
        }
        return Ok(if broken == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    Ok(if cmp.is_same() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn write_text(out: &mut impl Write, a: &Side, b: &Side, cmp: &Comparison) -> io::Result<()> {
    let tree: &TreeDiff = &cmp.tree;
    let (added, removed) = tree.bytes();
    let (shared, base, layers_b) = (cmp.layers.shared.len(), cmp.layers.base, cmp.layers.b);
    writeln!(
        out,
        "{} → {}: {} added, {} removed, {} modified; +{} -{}; {} shares {shared} of {layers_b} layers with {} (a common base of {base})",
        name(&a.image),
        name(&b.image),
        tree.count(Change::Added),
        tree.count(Change::Removed),
        tree.count(Change::Modified),
        human_size_binary(added),
        human_size_binary(removed),
        name(&b.image),
        name(&a.image),
    )?;
    for e in &tree.entries {
        let size = e
            .after
            .as_ref()
            .or(e.before.as_ref())
            .and_then(|r| r.size)
            .map(human_size_binary)
            .unwrap_or_default();
        let what = if e.changed.is_empty() {
            String::new()
        } else {
            format!("  ({})", e.changed.join(", "))
        };
        writeln!(
            out,
            "{} {}\t{size}{what}",
            e.change.symbol(),
            escape(e.path())
        )?;
    }
    for f in cmp.config_changes() {
        writeln!(out, "config {}: {:?} → {:?}", f.name, f.a, f.b)?;
    }
    Ok(())
}
