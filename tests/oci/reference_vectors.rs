//! Every case of `tests/vectors/distribution-reference.json` (the test tables
//! of github.com/distribution/reference) run against `layerlens::oci::reference`.
//!
//! Each upstream function maps to our closest public operation:
//!
//! | upstream                | ours                                            |
//! |-------------------------|-------------------------------------------------|
//! | `Parse`                 | `Reference::parse`                              |
//! | `ParseNormalizedNamed`  | `Reference::parse_normalized`                   |
//! | `ParseAnyReference`     | `AnyReference::parse`                           |
//! | `ParseDockerRef`        | `Reference::parse_docker_ref`                   |
//! | `ParseNamed`            | `Reference::parse_canonical`                    |
//! | `WithName`              | `Reference::parse_name`                         |
//! | `WithTag`               | `Reference::with_tag`                           |
//! | `WithDigest`            | `Digest::from_str` + `Reference::with_digest`   |
//! | `FamiliarMatch`         | `AnyReference::familiar_match`                  |
//! | `ParseField` (`Field.UnmarshalText`) | serde `Deserialize`/`Serialize`    |
//! | `regexp` (grammar only) | the parser whose grammar the regexp is: see `regexp_case` |
//!
//! No case is skipped. Where our documented behaviour differs from upstream's
//! test binary the case still runs and asserts *our* behaviour, counted as
//! "divergent" with the reason (see `Divergence`).

use layerlens_testkit::vectors;

use std::collections::BTreeMap;
use std::str::FromStr;

use layerlens::oci::{
    Algorithm, AnyReference, Digest, DigestError, Reference, ReferenceError,
    ReferenceErrorKind as K,
};
use serde_json::Value;

/// Why a case asserts our behaviour instead of upstream's expectation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Divergence {
    /// Upstream's test binary does not import `crypto/sha512`, so go-digest
    /// reports `sha512` as unsupported; we register sha512 (the OCI spec
    /// does), so the reference parses and carries a sha512 digest.
    Sha512Registered,
    /// `WithTag`/`WithDigest` are given a 37-hex-digit "sha256" digest. Go's
    /// `WithDigest` checks only the reference grammar (32+ hex digits), but our
    /// `with_digest` takes a `Digest`, valid by construction, so that string
    /// is refused by `Digest::from_str` with "invalid checksum digest length".
    /// The composition itself is then checked with a full-length digest
    /// substituted in both the input and the expected string.
    ShortDigestRefused,
}

/// How many cases diverge, per reason: a change in these numbers means the
/// vectors or our behaviour changed and must be looked at.
const EXPECTED_DIVERGENT: &[(Divergence, usize)] = &[
    (Divergence::Sha512Registered, 1),
    (Divergence::ShortDigestRefused, 5),
];

/// Cases with no counterpart at all. None: every upstream function maps.
const EXPECTED_SKIPPED: &[(&str, usize)] = &[];

enum Outcome {
    Ran,
    Divergent(Divergence),
}

type CaseResult = Result<Outcome, String>;

macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(format!($($fmt)+));
        }
    };
}

fn s<'a>(case: &'a Value, key: &str) -> &'a str {
    case[key]
        .as_str()
        .unwrap_or_else(|| panic!("{}: no string {key}", case["id"]))
}

/// Compares an optional expected field: absent = not asserted upstream,
/// `null` = must be absent, a string = must equal.
fn field(case: &Value, key: &str, actual: Option<&str>) -> Result<(), String> {
    match case.get(key) {
        None => Ok(()),
        Some(Value::Null) if actual.is_none() => Ok(()),
        Some(Value::String(want)) if actual == Some(want.as_str()) => Ok(()),
        Some(want) => Err(format!("{key}: expected {want}, got {actual:?}")),
    }
}

/// Checks every named part the case asserts on a parsed reference.
fn parts(case: &Value, r: &Reference) -> Result<(), String> {
    field(case, "string", Some(&r.to_string()))?;
    field(case, "name", Some(&r.name()))?;
    field(case, "domain", Some(r.domain()))?;
    field(case, "path", Some(r.path()))?;
    field(case, "tag", r.tag())?;
    field(
        case,
        "digest",
        r.digest().map(ToString::to_string).as_deref(),
    )?;
    field(case, "familiar", Some(&r.familiar_name()))?;
    field(case, "familiar_string", Some(&r.familiar_string()))?;
    Ok(())
}

fn upstream_kind(name: &str) -> K {
    match name {
        "ErrReferenceInvalidFormat" => K::InvalidFormat,
        "ErrTagInvalidFormat" => K::InvalidTag,
        "ErrDigestInvalidFormat" => K::InvalidDigestFormat,
        "ErrNameContainsUppercase" => K::NameContainsUppercase,
        "ErrNameEmpty" => K::NameEmpty,
        "ErrNameTooLong" => K::NameTooLong,
        "ErrNameNotCanonical" => K::NameNotCanonical,
        "digest.ErrDigestInvalidLength" => K::ChecksumInvalidLength,
        "digest.ErrDigestUnsupported" => K::UnsupportedAlgorithm,
        other => panic!("unmapped upstream error {other}"),
    }
}

/// The upstream message for an error identifier, from the file's
/// `conventions.errors` (minus the explanatory note on the sha512 entry).
fn upstream_message(messages: &Value, name: &str) -> String {
    let text = messages[name]
        .as_str()
        .unwrap_or_else(|| panic!("no message for {name}"));
    text.split(" (sha512").next().unwrap_or(text).to_owned()
}

/// Checks a valid/invalid expectation: on success `check` runs on the value;
/// on failure the error must have the case's kind and upstream's message
/// (when the case names one), or just be an error (`error` null or absent).
fn expect<T: std::fmt::Debug>(
    case: &Value,
    messages: &Value,
    result: Result<T, ReferenceError>,
    check: impl FnOnce(&T) -> Result<(), String>,
) -> CaseResult {
    match (case["valid"].as_bool().unwrap(), result) {
        (true, Ok(v)) => check(&v)?,
        (true, Err(e)) => return Err(format!("expected success, got error {e:?}")),
        (false, Ok(v)) => return Err(format!("expected an error, got {v:?}")),
        (false, Err(e)) => {
            if let Some(name) = case.get("error").and_then(Value::as_str) {
                ensure!(
                    e.kind() == upstream_kind(name),
                    "expected {name}, got {e:?}"
                );
                let message = upstream_message(messages, name);
                ensure!(
                    e.to_string() == message,
                    "message {:?}, upstream {message:?}",
                    e.to_string()
                );
            }
        }
    }
    Ok(Outcome::Ran)
}

/// A 64-hex sha256 digest standing in for a too-short one (see
/// `Divergence::ShortDigestRefused`).
fn full_digest() -> Digest {
    Digest::of(Algorithm::Sha256, b"layerlens")
}

fn short_digest(case: &Value, text: &str) -> Result<(), String> {
    let refused = Digest::from_str(text);
    ensure!(
        refused == Err(DigestError::InvalidLength),
        "{}: short digest {text} should be refused for its length, got {refused:?}",
        case["id"]
    );
    Ok(())
}

fn run_case(case: &Value, messages: &Value) -> CaseResult {
    let input = s(case, "input");
    let test = s(case, "test");
    match s(case, "func") {
        "Parse" => {
            let result = Reference::parse(input);
            if case["error"] == "digest.ErrDigestUnsupported" && input.contains("@sha512:") {
                let r = result.map_err(|e| format!("sha512 must parse here: {e:?}"))?;
                let algorithm = r.digest().map(Digest::algorithm);
                ensure!(
                    algorithm == Some(Algorithm::Sha512),
                    "expected a sha512 digest, got {r:?}"
                );
                ensure!(r.to_string() == input, "round trip {r}");
                return Ok(Outcome::Divergent(Divergence::Sha512Registered));
            }
            expect(case, messages, result, |r| parts(case, r))
        }
        "ParseNormalizedNamed" => expect(case, messages, Reference::parse_normalized(input), |r| {
            parts(case, r)
        }),
        "ParseAnyReference" => expect(case, messages, AnyReference::parse(input), |any| {
            field(case, "string", Some(&any.to_string()))?;
            match (s(case, "kind"), any) {
                ("digest", AnyReference::Digest(d)) => field(case, "digest", Some(&d.to_string())),
                ("same-as-Parse(string)", AnyReference::Named(_)) => Ok(()),
                (kind, other) => Err(format!("expected kind {kind}, got {other:?}")),
            }
        }),
        "ParseDockerRef" => expect(case, messages, Reference::parse_docker_ref(input), |r| {
            field(case, "string", Some(&r.to_string()))
        }),
        "ParseNamed" => expect(case, messages, Reference::parse_canonical(input), |r| {
            parts(case, r)
        }),
        "WithName" => expect(case, messages, Reference::parse_name(input), |r| {
            parts(case, r)
        }),
        "WithTag" if test == "TestInvalidReferenceComponents" => {
            let named = Reference::parse_normalized(input).map_err(|e| format!("{e:?}"))?;
            expect(case, messages, named.with_tag(s(case, "tag")), |_| Ok(()))
        }
        "WithTag" => {
            let named = Reference::parse_name(input).map_err(|e| format!("WithName: {e:?}"))?;
            let (named, expected, divergent) = match case["with_digest"].as_str() {
                None => (named, s(case, "string").to_owned(), false),
                Some(short) => {
                    short_digest(case, short)?;
                    let full = full_digest();
                    let expected = s(case, "string").replace(short, &full.to_string());
                    (named.with_digest(full), expected, true)
                }
            };
            let tagged = named
                .with_tag(s(case, "tag"))
                .map_err(|e| format!("WithTag: {e:?}"))?;
            ensure!(
                tagged.to_string() == expected,
                "got {tagged}, expected {expected}"
            );
            Ok(if divergent {
                Outcome::Divergent(Divergence::ShortDigestRefused)
            } else {
                Outcome::Ran
            })
        }
        "WithDigest" if test == "TestInvalidReferenceComponents" => {
            // Our with_digest takes a Digest: an invalid one fails to parse.
            let named = Reference::parse_normalized(input).map_err(|e| format!("{e:?}"))?;
            let result = Digest::from_str(s(case, "digest")).map(|d| named.with_digest(d));
            expect(case, messages, result.map_err(ReferenceError::from), |_| {
                Ok(())
            })
        }
        "WithDigest" => {
            let mut named = Reference::parse_name(input).map_err(|e| format!("WithName: {e:?}"))?;
            if let Some(tag) = case["with_tag"].as_str() {
                named = named.with_tag(tag).map_err(|e| format!("WithTag: {e:?}"))?;
            }
            let short = s(case, "digest");
            short_digest(case, short)?;
            let full = full_digest();
            let expected = s(case, "string").replace(short, &full.to_string());
            let digested = named.with_digest(full);
            ensure!(
                digested.to_string() == expected,
                "got {digested}, expected {expected}"
            );
            Ok(Outcome::Divergent(Divergence::ShortDigestRefused))
        }
        "FamiliarMatch" => {
            let any =
                AnyReference::parse(input).map_err(|e| format!("ParseAnyReference: {e:?}"))?;
            let result = any.familiar_match(s(case, "pattern"));
            if case["valid"] == true {
                ensure!(
                    result == Ok(case["match"] == true),
                    "expected match {}, got {result:?}",
                    case["match"]
                );
            } else {
                ensure!(
                    result == Err(ReferenceError::BadPattern),
                    "expected a bad pattern, got {result:?}"
                );
            }
            Ok(Outcome::Ran)
        }
        "ParseField" => {
            let parsed = serde_json::from_value::<Reference>(Value::String(input.to_owned()));
            match (case["valid"] == true, parsed) {
                (true, Ok(r)) => {
                    parts(case, &r)?;
                    let back = serde_json::to_value(&r).map_err(|e| e.to_string())?;
                    ensure!(back == input, "serialised back as {back}");
                }
                (false, Err(e)) => {
                    let message = upstream_message(messages, s(case, "error"));
                    ensure!(
                        e.to_string().contains(&message),
                        "error {e} lacks {message:?}"
                    );
                }
                (_, other) => return Err(format!("unexpected {other:?}")),
            }
            Ok(Outcome::Ran)
        }
        "regexp" => regexp_case(case),
        other => Err(format!("no mapping for func {other}")),
    }
}

/// Grammar-level cases: the regexps are the grammar our hand-written parser
/// implements, so each maps onto the public operation built on it.
fn regexp_case(case: &Value) -> CaseResult {
    let input = s(case, "input");
    let want = case["match"] == true;
    let regexp = s(case, "regexp");
    let subs: Option<Vec<&str>> = case.get("subs").map(|v| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect()
    });
    if regexp.starts_with("^(domainAndPort)$") {
        // A host[:port] matches exactly when it is taken as the domain of a
        // one-component name behind it (the name grammar tries the domain first).
        let got = Reference::parse_name(&format!("{input}/x")).is_ok_and(|r| r.domain() == input);
        ensure!(got == want, "domain match {got}, upstream {want}");
    } else if regexp.starts_with("anchoredNameRegexp") {
        // ^(?:(domain)/)?(path)$ is exactly `parse_name`, whose domain and
        // path are the two submatches (no case reaches the length limit).
        let got = Reference::parse_name(input);
        ensure!(got.is_ok() == want, "name match {:?}, upstream {want}", got);
        if let (Some(subs), Ok(r)) = (subs, &got) {
            ensure!(
                [r.domain(), r.path()] == subs[..],
                "subs {:?}, upstream {subs:?}",
                (r.domain(), r.path())
            );
        }
    } else if regexp.starts_with("referenceRegexp") {
        // ^(name)(?::(tag))?(?:@(digest))?$ is the strict parser's grammar;
        // every matching case has a valid sha256 digest, so parse == match.
        let got = Reference::parse(input);
        ensure!(
            got.is_ok() == want,
            "reference match {:?}, upstream {want}",
            got
        );
        if let (Some(subs), Ok(r)) = (subs, &got) {
            let digest = r.digest().map(ToString::to_string).unwrap_or_default();
            let mine = [r.name(), r.tag().unwrap_or_default().to_owned(), digest];
            ensure!(mine[..] == subs[..], "subs {mine:?}, upstream {subs:?}");
        }
    } else if regexp.starts_with("anchoredIdentifierRegexp") {
        // ^[a-f0-9]{64}$ is what the normalised parser refuses as an image ID.
        let got = Reference::parse_normalized(input).is_err_and(|e| e.kind() == K::HexIdentifier);
        ensure!(got == want, "identifier match {got}, upstream {want}");
    } else {
        return Err(format!("unmapped regexp {regexp}"));
    }
    Ok(Outcome::Ran)
}

#[test]
fn distribution_reference_vectors() {
    let file = vectors::load("distribution-reference.json");
    let messages = &file["conventions"]["errors"];
    let cases = vectors::cases(&file);

    let mut per_func: BTreeMap<&str, usize> = BTreeMap::new();
    let mut divergent: BTreeMap<Divergence, usize> = BTreeMap::new();
    let skipped: BTreeMap<&str, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for case in cases {
        *per_func.entry(s(case, "func")).or_default() += 1;
        match run_case(case, messages) {
            Ok(Outcome::Ran) => {}
            Ok(Outcome::Divergent(why)) => *divergent.entry(why).or_default() += 1,
            Err(problem) => failures.push(format!("{} {:?}: {problem}", case["id"], case["input"])),
        }
    }

    let ran = cases.len() - skipped.values().sum::<usize>();
    println!("distribution/reference vectors: {ran} ran ({} asserting our documented divergence), {} skipped", divergent.values().sum::<usize>(), skipped.values().sum::<usize>());
    for (func, n) in &per_func {
        println!("  {func}: {n}");
    }
    for (why, n) in &divergent {
        println!("  divergent, {why:?}: {n}");
    }
    for (why, n) in &skipped {
        println!("  skipped, {why}: {n}");
    }

    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    assert_eq!(cases.len(), 352);
    assert_eq!(
        divergent.into_iter().collect::<Vec<_>>(),
        EXPECTED_DIVERGENT.to_vec()
    );
    assert_eq!(
        skipped.into_iter().collect::<Vec<_>>(),
        EXPECTED_SKIPPED.to_vec()
    );
}
