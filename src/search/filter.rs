//! `docker search --filter`: parsed like the CLI's `FilterOpt` (`name=value`,
//! the name trimmed and lower-cased, the value trimmed; values of one name
//! form a set), validated and applied like moby's `Service.Search`:
//!
//! * only `stars`, `is-official` and `is-automated` are accepted
//!   (`invalid filter 'NAME'`);
//! * a boolean filter takes `true`/`1` or `false`/`0`; none of them, or both
//!   kinds at once, is `invalid filter 'NAME=[VALUES]'`;
//! * `stars` values are decimal integers (`invalid filter 'stars=X':
//!   strconv.Atoi: parsing "X": invalid syntax`); the largest one applies;
//! * `is-automated=true` yields nothing (the field is deprecated), and every
//!   result's `is_automated` is reported `false`, as the daemon does so as
//!   not to mislead with Docker Hub's untrustworthy value.

use std::collections::{BTreeMap, BTreeSet};

use super::{SearchError, SearchResult};

/// The filter names the daemon accepts.
pub const ACCEPTED: &[&str] = &["is-automated", "is-official", "stars"];
/// The most `--filter` arguments read (hostile links are bounded).
pub const MAX_FILTERS: usize = 32;

/// Checked `--filter` arguments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchFilters {
    /// `is-official`, when given.
    official: Option<bool>,
    /// `is-automated`, when given.
    automated: Option<bool>,
    /// The largest `stars` value, when given.
    stars: Option<i64>,
}

fn invalid(name: &str, values: Option<&BTreeSet<String>>) -> SearchError {
    match values {
        None => SearchError::Filter(format!("invalid filter '{name}'")),
        Some(v) => {
            let list: Vec<&str> = v.iter().map(String::as_str).collect();
            SearchError::Filter(format!("invalid filter '{name}=[{}]'", list.join(" ")))
        }
    }
}

/// Go's `GetBoolOrDefault`.
fn boolean(name: &str, values: Option<&BTreeSet<String>>) -> Result<Option<bool>, SearchError> {
    let Some(v) = values else {
        return Ok(None);
    };
    let is_false = v.contains("0") || v.contains("false");
    let is_true = v.contains("1") || v.contains("true");
    if is_false == is_true {
        return Err(invalid(name, Some(v)));
    }
    Ok(Some(is_true))
}

/// Go's `strconv.Atoi` on a value: an optional sign and decimal digits.
fn atoi(value: &str) -> Result<i64, SearchError> {
    let digits = value.strip_prefix(['+', '-']).unwrap_or(value);
    let err = |why: &str| {
        SearchError::Filter(format!(
            "invalid filter 'stars={value}': strconv.Atoi: parsing {value:?}: {why}"
        ))
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err("invalid syntax"));
    }
    value.parse::<i64>().map_err(|_| err("value out of range"))
}

impl SearchFilters {
    /// No filter.
    pub fn none() -> SearchFilters {
        SearchFilters::default()
    }

    /// Parses and checks `--filter` arguments (`stars=3`, `is-official=true`).
    pub fn parse<S: AsRef<str>>(args: &[S]) -> Result<SearchFilters, SearchError> {
        if args.len() > MAX_FILTERS {
            return Err(SearchError::Filter(format!(
                "too many filters (at most {MAX_FILTERS})"
            )));
        }
        let mut fields: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for arg in args {
            let arg = arg.as_ref();
            if arg.is_empty() {
                continue;
            }
            let Some((name, value)) = arg.split_once('=') else {
                return Err(SearchError::Filter(
                    "bad format of filter (expected name=value)".to_owned(),
                ));
            };
            fields
                .entry(name.trim().to_ascii_lowercase())
                .or_default()
                .insert(value.trim().to_owned());
        }
        if let Some(name) = fields.keys().find(|k| !ACCEPTED.contains(&k.as_str())) {
            return Err(invalid(name, None));
        }
        let automated = boolean("is-automated", fields.get("is-automated"))?;
        let official = boolean("is-official", fields.get("is-official"))?;
        let stars = match fields.get("stars") {
            None => None,
            Some(values) => {
                let mut most = 0;
                for v in values {
                    most = most.max(atoi(v)?);
                }
                Some(most)
            }
        };
        Ok(SearchFilters {
            official,
            automated,
            stars,
        })
    }

    /// `is-official`, when given.
    pub fn official(&self) -> Option<bool> {
        self.official
    }

    /// The `stars` minimum, when given.
    pub fn stars(&self) -> Option<i64> {
        self.stars
    }

    /// Whether `is-automated` was given (the CLI warns that it is deprecated).
    pub fn has_automated(&self) -> bool {
        self.automated.is_some()
    }

    /// The filter arguments that mean the same (`is-official=true`,
    /// `stars=3`), in a stable order: what a link or a command line carries.
    pub fn to_args(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(a) = self.automated {
            out.push(format!("is-automated={a}"));
        }
        if let Some(o) = self.official {
            out.push(format!("is-official={o}"));
        }
        if let Some(s) = self.stars {
            out.push(format!("stars={s}"));
        }
        out
    }

    /// The results that pass, in their order, with `is_automated` forced to
    /// `false` (moby's `Service.Search`).
    pub fn apply(&self, results: &[SearchResult]) -> Vec<SearchResult> {
        if self.automated == Some(true) {
            return Vec::new();
        }
        results
            .iter()
            .filter(|r| self.official.is_none_or(|o| r.is_official == o))
            .filter(|r| self.stars.is_none_or(|s| r.star_count >= s))
            .map(|r| SearchResult {
                is_automated: false,
                ..r.clone()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(name: &str, stars: i64, official: bool) -> SearchResult {
        SearchResult {
            name: name.into(),
            description: String::new(),
            star_count: stars,
            is_official: official,
            is_automated: true,
        }
    }

    fn err(args: &[&str]) -> String {
        SearchFilters::parse(args).unwrap_err().to_string()
    }

    #[test]
    fn docker_documented_filters_select_results() {
        // `docker search --filter stars=3 busybox` and
        // `docker search --filter is-official=true --filter stars=3 busybox`.
        let results = vec![
            result("busybox", 3000, true),
            result("progrium/busybox", 70, false),
            result("radial/busyboxplus", 2, false),
        ];
        let names = |f: &[&str]| -> Vec<String> {
            SearchFilters::parse(f)
                .unwrap()
                .apply(&results)
                .into_iter()
                .map(|r| r.name)
                .collect()
        };
        assert_eq!(names(&["stars=3"]), ["busybox", "progrium/busybox"]);
        assert_eq!(names(&["is-official=true", "stars=3"]), ["busybox"]);
        assert_eq!(names(&["is-official=false"]).len(), 2);
        assert_eq!(names(&["stars=1", "stars=100"]), ["busybox"]);
        assert_eq!(names(&["is-official=1"]), ["busybox"]);
        assert!(names(&["is-automated=true"]).is_empty());
        assert_eq!(names(&[]).len(), 3);
        // The deprecated field is never reported true.
        assert!(SearchFilters::none()
            .apply(&results)
            .iter()
            .all(|r| !r.is_automated));
    }

    #[test]
    fn invalid_filters_get_the_daemon_messages() {
        assert_eq!(err(&["foo=bar"]), "invalid filter 'foo'");
        assert_eq!(
            err(&["stars"]),
            "bad format of filter (expected name=value)"
        );
        assert_eq!(
            err(&["is-official=yes"]),
            "invalid filter 'is-official=[yes]'"
        );
        assert_eq!(
            err(&["is-official=true", "is-official=false"]),
            "invalid filter 'is-official=[false true]'"
        );
        assert_eq!(
            err(&["stars=abc"]),
            "invalid filter 'stars=abc': strconv.Atoi: parsing \"abc\": invalid syntax"
        );
        assert_eq!(
            err(&["stars=99999999999999999999"]),
            "invalid filter 'stars=99999999999999999999': strconv.Atoi: parsing \"99999999999999999999\": value out of range"
        );
        // Names are trimmed and lower-cased, values trimmed.
        let f = SearchFilters::parse(&[" IS-OFFICIAL = true "]).unwrap();
        assert_eq!(f.official(), Some(true));
        assert_eq!(f.to_args(), ["is-official=true"]);
    }
}
