//! dive's CI rules (`.dive-ci`), checked against a merged image:
//!
//! ```yaml
//! rules:
//!   lowestEfficiency: 0.95            # fail below this efficiency
//!   highestWastedBytes: 20MB          # fail above this many wasted bytes
//!   highestUserWastedPercent: 0.20    # fail above this share of wasted bytes
//! ```
//!
//! Each rule may be `disabled`. Missing rules take dive's defaults
//! (`lowestEfficiency` 0.9, `highestWastedBytes` disabled,
//! `highestUserWastedPercent` 0.1). Sizes are read as dive reads them:
//! `20MB` is 20,000,000 bytes, `20MiB` 20,971,520.
//!
//! Where our numbers differ from dive's: a file written twice wastes one
//! copy here (the one that no longer shows), where dive also counts the
//! surviving copy, so our wasted bytes are lower and our efficiency higher
//! for rewritten files ([`super::stats`]). The user wasted share is the
//! wasted bytes over the bytes the layers above the first store, as dive
//! divides by the size of those layers.

use super::MergedFs;

/// One rule's threshold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Threshold {
    /// The rule is off.
    Disabled,
    /// The limit.
    Value(f64),
}

/// The three rules.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rules {
    /// Fail when the efficiency is below.
    pub lowest_efficiency: Threshold,
    /// Fail when the wasted bytes are above.
    pub highest_wasted_bytes: Threshold,
    /// Fail when the user wasted share is above.
    pub highest_user_wasted_percent: Threshold,
}

impl Default for Rules {
    fn default() -> Rules {
        Rules {
            lowest_efficiency: Threshold::Value(0.9),
            highest_wasted_bytes: Threshold::Disabled,
            highest_user_wasted_percent: Threshold::Value(0.1),
        }
    }
}

/// `20MB`, `20 MiB`, `1.5GB`, `1024`: bytes as dive (go-humanize) reads them.
pub fn parse_bytes(s: &str) -> Option<f64> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let n: f64 = number.parse().ok()?;
    let unit = unit.trim().to_ascii_lowercase();
    let factor = match unit.as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "t" | "tb" => 1e12,
        "ki" | "kib" => 1024.0,
        "mi" | "mib" => 1024.0 * 1024.0,
        "gi" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "ti" | "tib" => 1024f64.powi(4),
        _ => return None,
    };
    Some(n * factor)
}

/// Reads a `.dive-ci` file; an error names the line.
pub fn parse_rules(text: &str) -> Result<Rules, String> {
    let mut rules = Rules::default();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() || line == "rules:" {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            return Err(format!("line {}: not `key: value`", n + 1));
        };
        let value = value.trim().trim_matches(['"', '\'']);
        let threshold = |parse: &dyn Fn(&str) -> Option<f64>| -> Result<Threshold, String> {
            if value.eq_ignore_ascii_case("disabled") {
                return Ok(Threshold::Disabled);
            }
            parse(value)
                .map(Threshold::Value)
                .ok_or_else(|| format!("line {}: {key}: {value:?} is not a value", n + 1))
        };
        let number = |v: &str| v.parse::<f64>().ok();
        match key.trim() {
            "lowestEfficiency" => rules.lowest_efficiency = threshold(&number)?,
            "highestWastedBytes" => rules.highest_wasted_bytes = threshold(&parse_bytes)?,
            "highestUserWastedPercent" => rules.highest_user_wasted_percent = threshold(&number)?,
            other => return Err(format!("line {}: unknown rule {other:?}", n + 1)),
        }
    }
    Ok(rules)
}

/// How one rule came out.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Within its limit.
    Pass,
    /// Beyond it, with why.
    Fail(String),
    /// Disabled.
    Skip,
}

/// The measures the rules read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measures {
    /// Efficiency, 0–1.
    pub efficiency: f64,
    /// Wasted bytes.
    pub wasted_bytes: u64,
    /// Wasted bytes over the bytes of the layers above the first, 0–1.
    pub user_wasted: f64,
}

/// The measures of a merged image.
pub fn measures(fs: &MergedFs) -> Measures {
    let stats = fs.stats();
    let above: u64 = (1..fs.layer_count())
        .filter_map(|l| fs.layer_summary(l))
        .map(|s| s.bytes)
        .sum();
    Measures {
        efficiency: stats.efficiency(),
        wasted_bytes: stats.wasted_bytes,
        user_wasted: if above == 0 {
            0.0
        } else {
            stats.wasted_bytes as f64 / above as f64
        },
    }
}

/// Each rule's verdict, in dive's order and names.
pub fn check(m: &Measures, rules: &Rules) -> Vec<(&'static str, Verdict)> {
    let judge = |t: Threshold, fails: &dyn Fn(f64) -> Option<String>| match t {
        Threshold::Disabled => Verdict::Skip,
        Threshold::Value(v) => fails(v).map_or(Verdict::Pass, Verdict::Fail),
    };
    vec![
        (
            "lowestEfficiency",
            judge(rules.lowest_efficiency, &|t| {
                (m.efficiency < t).then(|| {
                    format!(
                        "image efficiency is too low (efficiency={} < threshold={t})",
                        m.efficiency
                    )
                })
            }),
        ),
        (
            "highestWastedBytes",
            judge(rules.highest_wasted_bytes, &|t| {
                (m.wasted_bytes as f64 > t).then(|| {
                    format!(
                        "too many bytes wasted (wasted-bytes={} > threshold={t})",
                        m.wasted_bytes
                    )
                })
            }),
        ),
        (
            "highestUserWastedPercent",
            judge(rules.highest_user_wasted_percent, &|t| {
                (m.user_wasted > t).then(|| {
                    format!(
                        "too many bytes wasted, relative to the user bytes added (%-user-wasted-bytes={} > threshold={t})",
                        m.user_wasted
                    )
                })
            }),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_rules_read_as_dive_reads_them() {
        assert_eq!(parse_bytes("20MB"), Some(20e6));
        assert_eq!(parse_bytes("20 MiB"), Some(20.0 * 1024.0 * 1024.0));
        assert_eq!(parse_bytes("1024"), Some(1024.0));
        assert_eq!(parse_bytes("1.5GB"), Some(1.5e9));
        assert_eq!(parse_bytes("lots"), None);
        let r = parse_rules(
            "rules:\n  # comment\n  lowestEfficiency: 0.95\n  highestWastedBytes: 20MB\n  highestUserWastedPercent: disabled\n",
        )
        .unwrap();
        assert_eq!(r.lowest_efficiency, Threshold::Value(0.95));
        assert_eq!(r.highest_wasted_bytes, Threshold::Value(20e6));
        assert_eq!(r.highest_user_wasted_percent, Threshold::Disabled);
        assert_eq!(parse_rules("").unwrap(), Rules::default());
        assert!(parse_rules("rules:\n  lowestEfficency: 0.9")
            .unwrap_err()
            .contains("line 2"));
        assert!(parse_rules("lowestEfficiency: high").is_err());
    }

    #[test]
    fn verdicts() {
        let m = Measures {
            efficiency: 0.8,
            wasted_bytes: 2_000,
            user_wasted: 0.05,
        };
        let rules = Rules {
            lowest_efficiency: Threshold::Value(0.9),
            highest_wasted_bytes: Threshold::Value(1_000.0),
            highest_user_wasted_percent: Threshold::Disabled,
        };
        let v = check(&m, &rules);
        assert!(matches!(v[0].1, Verdict::Fail(_)));
        assert!(matches!(v[1].1, Verdict::Fail(_)));
        assert_eq!(v[2].1, Verdict::Skip);
        let ok = check(
            &m,
            &Rules {
                lowest_efficiency: Threshold::Value(0.5),
                highest_wasted_bytes: Threshold::Value(5_000.0),
                highest_user_wasted_percent: Threshold::Value(0.1),
            },
        );
        assert!(ok.iter().all(|(_, v)| *v == Verdict::Pass));
    }
}
