//! `layerlens check REF`: dive's CI rules (`.dive-ci`) against an image, as
//! dive's CI mode prints them. Wiring and printing only: the rules are
//! `layerlens::fs::ci`.

use std::io::{self, Write};
use std::process::ExitCode;

use layerlens::fs::human_size_binary;

use crate::image::{open_whole, or_two, ImageArgs, RegistryArgs};

/// `layerlens check REF [--ci-config PATH]`: dive's CI rules against the
/// image; one line per rule and a final PASS/FAIL, exit 1 on failure, 2 on
/// error.
pub fn run_check(
    image: &ImageArgs,
    config: Option<&std::path::Path>,
    registry: &RegistryArgs,
) -> ExitCode {
    or_two(check(image, config, registry))
}

fn check(
    image: &ImageArgs,
    config: Option<&std::path::Path>,
    registry: &RegistryArgs,
) -> anyhow::Result<ExitCode> {
    use layerlens::fs::ci::{check, measures, parse_rules, Rules, Verdict};
    let rules = match config {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
            parse_rules(&text).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?
        }
        None => Rules::default(),
    };
    let (_image, fs) = open_whole(image, registry, false)?;
    let m = measures(&fs);
    let verdicts = check(&m, &rules);
    let mut out = io::stdout().lock();
    writeln!(out, "  efficiency: {:.4} %", m.efficiency * 100.0)?;
    writeln!(
        out,
        "  wastedBytes: {} bytes ({})",
        m.wasted_bytes,
        human_size_binary(m.wasted_bytes)
    )?;
    writeln!(out, "  userWastedPercent: {:.4} %", m.user_wasted * 100.0)?;
    writeln!(out, "Results:")?;
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    for (name, v) in &verdicts {
        match v {
            Verdict::Pass => {
                passed += 1;
                writeln!(out, "  PASS: {name}")?;
            }
            Verdict::Fail(why) => {
                failed += 1;
                writeln!(out, "  FAIL: {name}: {why}")?;
            }
            Verdict::Skip => {
                skipped += 1;
                writeln!(out, "  SKIP: {name}: rule disabled")?;
            }
        }
    }
    let result = if failed == 0 { "PASS" } else { "FAIL" };
    writeln!(
        out,
        "Result:{result} [Total:{}] [Passed:{passed}] [Failed:{failed}] [Warn:0] [Skipped:{skipped}]",
        verdicts.len()
    )?;
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
