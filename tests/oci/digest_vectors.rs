//! Every case of `tests/vectors/go-digest.json` (opencontainers/go-digest
//! v1.0.0, `TestParseDigest`) against `Digest::from_str`.

use layerlens_testkit::vectors;

use std::str::FromStr;

use layerlens::oci::{Digest, DigestError};

fn upstream_error(name: &str) -> DigestError {
    match name {
        "ErrDigestInvalidFormat" => DigestError::InvalidFormat,
        "ErrDigestInvalidLength" => DigestError::InvalidLength,
        "ErrDigestUnsupported" => DigestError::Unsupported,
        other => panic!("unknown upstream error {other}"),
    }
}

#[test]
fn go_digest_vectors() {
    let file = vectors::load("go-digest.json");
    let messages = &file["errors"];
    let mut ran = 0;
    let mut failures = Vec::new();
    for case in vectors::cases(&file) {
        let id = case["id"].as_str().unwrap();
        assert_eq!(case["func"], "Parse", "{id}: only Parse is mapped");
        let input = case["input"].as_str().unwrap();
        let result = Digest::from_str(input);
        let problem = if case["valid"].as_bool().unwrap() {
            match &result {
                Ok(d)
                    if d.algorithm().name() == case["algorithm"]
                        && d.hex() == case["encoded"]
                        && d.to_string() == case["string"] =>
                {
                    None
                }
                other => Some(format!("expected {case}, got {other:?}")),
            }
        } else {
            let name = case["error"].as_str().unwrap();
            let want = upstream_error(name);
            match &result {
                Err(e) if *e == want && e.to_string() == messages[name] => None,
                other => Some(format!(
                    "expected {want:?} ({}), got {other:?}",
                    messages[name]
                )),
            }
        };
        ran += 1;
        if let Some(p) = problem {
            failures.push(format!("{id} {input:?}: {p}"));
        }
    }
    println!("go-digest vectors: {ran} ran, 0 skipped");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(ran, 14, "every go-digest case must run");
}
