//! `--filter key=value` arguments as Docker reads and checks them
//! (`api/types/filters`: `ParseFlag`, `Validate`, `GetBoolOrDefault`,
//! `MatchKVList`).
//!
//! Values for one key form a set (a repeated value counts once). How several
//! filters combine is each filter's own rule, Docker's: `reference` patterns
//! are ORed, `label` conditions are ANDed, `before`/`since` keep the
//! strictest bound, and different keys are ANDed.

use std::collections::{BTreeMap, BTreeSet};

/// Why a filter is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// Not `name=value` (Docker's CLI message).
    #[error("bad format of filter (expected name=value)")]
    BadFormat,
    /// An unknown filter name, or a value the filter does not take
    /// (`invalid filter 'foo'`, `invalid filter 'dangling=[maybe]'`).
    #[error("invalid filter '{filter}{}'", .values.as_ref().map(|v| format!("=[{}]", v.join(" "))).unwrap_or_default())]
    Invalid {
        /// The filter name.
        filter: String,
        /// Its values, when those are what is wrong.
        values: Option<Vec<String>>,
    },
    /// A `reference=` pattern that is not a valid glob (Go's `path.Match`).
    #[error("syntax error in pattern {0:?}")]
    BadPattern(String),
    /// An `until=` value that is neither a time nor a duration.
    #[error("failed to parse value as time or duration: {0:?}")]
    Until(String),
    /// More than one `until=` (prune takes one).
    #[error("more than one until filter specified")]
    MultipleUntil,
}

/// A set of filters: name → values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    fields: BTreeMap<String, BTreeSet<String>>,
}

impl Filters {
    /// No filters.
    pub fn new() -> Filters {
        Filters::default()
    }

    /// Reads `--filter` arguments as Docker's CLI does: each must contain
    /// `=`; the name is trimmed and lower-cased, the value trimmed; an empty
    /// argument is ignored.
    pub fn parse<I, S>(args: I) -> Result<Filters, FilterError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut f = Filters::new();
        for arg in args {
            let arg = arg.as_ref();
            if arg.is_empty() {
                continue;
            }
            let (name, value) = arg.split_once('=').ok_or(FilterError::BadFormat)?;
            f.add(&name.trim().to_lowercase(), value.trim());
        }
        Ok(f)
    }

    /// Adds one value.
    pub fn add(&mut self, name: &str, value: &str) -> &mut Filters {
        self.fields
            .entry(name.to_owned())
            .or_default()
            .insert(value.to_owned());
        self
    }

    /// Whether the filter `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        self.fields.contains_key(name)
    }

    /// The values of `name`, sorted.
    pub fn get(&self, name: &str) -> impl Iterator<Item = &str> {
        self.fields
            .get(name)
            .into_iter()
            .flat_map(|v| v.iter().map(String::as_str))
    }

    /// Docker's `Validate`: the first name not in `accepted` is an error.
    pub(crate) fn validate(&self, accepted: &[&str]) -> Result<(), FilterError> {
        match self.fields.keys().find(|k| !accepted.contains(&k.as_str())) {
            Some(k) => Err(FilterError::Invalid {
                filter: k.clone(),
                values: None,
            }),
            None => Ok(()),
        }
    }

    /// Docker's `GetBoolOrDefault`: `true`/`1` or `false`/`0`; anything else,
    /// or both, is an invalid filter.
    pub(crate) fn bool_or_default(&self, name: &str, default: bool) -> Result<bool, FilterError> {
        let Some(values) = self.fields.get(name) else {
            return Ok(default);
        };
        let is_false = values.contains("0") || values.contains("false");
        let is_true = values.contains("1") || values.contains("true");
        if is_false == is_true {
            return Err(FilterError::Invalid {
                filter: name.to_owned(),
                values: Some(values.iter().cloned().collect()),
            });
        }
        Ok(is_true)
    }

    /// Docker's `MatchKVList`: every `KEY` or `KEY=VALUE` of `name` must be
    /// present (with that value) in `labels`; no filter matches everything,
    /// an image without labels matches no filter.
    pub(crate) fn match_kv_list(&self, name: &str, labels: &BTreeMap<String, String>) -> bool {
        let Some(values) = self.fields.get(name) else {
            return true;
        };
        if values.is_empty() {
            return true;
        }
        if labels.is_empty() {
            return false;
        }
        values.iter().all(|v| {
            let (k, want) = match v.split_once('=') {
                Some((k, w)) => (k, Some(w)),
                None => (v.as_str(), None),
            };
            match labels.get(k) {
                None => false,
                Some(have) => want.is_none_or(|w| w == have),
            }
        })
    }
}
