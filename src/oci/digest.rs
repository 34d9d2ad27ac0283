//! Content digests (`sha256:…`) and the only way to obtain verified bytes.
//!
//! Grammar and error order follow the OCI image spec, "Digests"
//! (`descriptor.md`), and `opencontainers/go-digest` v1.0.0:
//!
//! ```text
//! digest                ::= algorithm ":" encoded
//! algorithm             ::= algorithm-component (algorithm-separator algorithm-component)*
//! algorithm-component   ::= [a-z0-9]+
//! algorithm-separator   ::= [+._-]
//! encoded               ::= [a-zA-Z0-9=_-]+
//! ```
//!
//! The registered algorithms are `sha256`, `sha384` and `sha512`; their encoded
//! part is lower-case hex of the full hash length.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest as _, Sha256, Sha384, Sha512};

/// A hash algorithm registered for OCI digests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    /// SHA-256, the algorithm every registry supports.
    Sha256,
    /// SHA-384, registered by go-digest (rare in practice).
    Sha384,
    /// SHA-512, allowed by the OCI spec.
    Sha512,
}

impl Algorithm {
    /// The name used in digest strings (`sha256`).
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha384 => "sha384",
            Algorithm::Sha512 => "sha512",
        }
    }

    /// Length of the hash in bytes.
    pub fn size(self) -> usize {
        match self {
            Algorithm::Sha256 => 32,
            Algorithm::Sha384 => 48,
            Algorithm::Sha512 => 64,
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Algorithm> {
        match name {
            "sha256" => Some(Algorithm::Sha256),
            "sha384" => Some(Algorithm::Sha384),
            "sha512" => Some(Algorithm::Sha512),
            _ => None,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a string is not a usable digest. The messages match go-digest's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestError {
    /// The string does not follow the digest grammar.
    #[error("invalid checksum digest format")]
    InvalidFormat,
    /// The encoded part has the wrong length for its algorithm.
    #[error("invalid checksum digest length")]
    InvalidLength,
    /// The algorithm is well-formed but not one we can compute.
    #[error("unsupported digest algorithm")]
    Unsupported,
}

/// A parsed, well-formed digest of a registered algorithm.
///
/// Fields are private: a `Digest` can only come from [`Digest::from_str`] or from
/// hashing, so every value is valid by construction.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    algorithm: Algorithm,
    /// Lower-case hex, exactly `2 * algorithm.size()` characters.
    hex: String,
}

impl Digest {
    /// The digest's algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The encoded (hex) part, without the algorithm prefix.
    pub fn hex(&self) -> &str {
        &self.hex
    }

    /// The first 12 hex characters, as Docker prints short image IDs.
    pub fn short(&self) -> &str {
        &self.hex[..12]
    }

    /// Hashes `bytes` in one go.
    pub fn of(algorithm: Algorithm, bytes: &[u8]) -> Digest {
        let mut h = Hasher::new(algorithm);
        h.update(bytes);
        h.finish()
    }

    /// Hashes `bytes` with SHA-256, the common case.
    pub fn sha256(bytes: &[u8]) -> Digest {
        Digest::of(Algorithm::Sha256, bytes)
    }

    /// The raw hash value (the inverse of [`Digest::from_raw`]).
    pub fn raw(&self) -> Vec<u8> {
        // A parsed digest's hex is validated: lowercase, even length.
        self.hex
            .as_bytes()
            .chunks_exact(2)
            .map(|pair| {
                let nibble = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
                nibble(pair[0]) << 4 | nibble(pair[1])
            })
            .collect()
    }

    /// Builds a digest from a raw hash value of the algorithm's size.
    pub fn from_raw(algorithm: Algorithm, raw: &[u8]) -> Option<Digest> {
        if raw.len() != algorithm.size() {
            return None;
        }
        Some(Digest {
            algorithm,
            hex: to_hex(raw),
        })
    }
}

fn to_hex(raw: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(raw.len() * 2);
    for b in raw {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
    s
}

fn is_algorithm_grammar(alg: &str) -> bool {
    // algorithm-component (algorithm-separator algorithm-component)*
    let mut prev_sep = true; // a leading separator is invalid
    for b in alg.bytes() {
        match b {
            b'a'..=b'z' | b'0'..=b'9' => prev_sep = false,
            b'+' | b'.' | b'_' | b'-' => {
                if prev_sep {
                    return false;
                }
                prev_sep = true;
            }
            _ => return false,
        }
    }
    !prev_sep
}

fn is_encoded_grammar(enc: &str) -> bool {
    !enc.is_empty()
        && enc
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'=' | b'_' | b'-'))
}

impl FromStr for Digest {
    type Err = DigestError;

    /// Parses with go-digest's checks in go-digest's order: shape, algorithm,
    /// length, then encoding.
    fn from_str(s: &str) -> Result<Digest, DigestError> {
        let i = match s.find(':') {
            Some(i) if i > 0 && i + 1 < s.len() => i,
            _ => return Err(DigestError::InvalidFormat),
        };
        let (alg, enc) = (&s[..i], &s[i + 1..]);
        let Some(algorithm) = Algorithm::from_name(alg) else {
            if !is_algorithm_grammar(alg) || !is_encoded_grammar(enc) {
                return Err(DigestError::InvalidFormat);
            }
            return Err(DigestError::Unsupported);
        };
        if enc.len() != algorithm.size() * 2 {
            return Err(DigestError::InvalidLength);
        }
        if !enc.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(DigestError::InvalidFormat);
        }
        Ok(Digest {
            algorithm,
            hex: enc.to_owned(),
        })
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm, self.hex)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({self})")
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Digest, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse()
            .map_err(|e| serde::de::Error::custom(format!("digest {s:?}: {e}")))
    }
}

/// An incremental hasher for any registered algorithm: feed chunks of any size,
/// then [`Hasher::finish`].
#[derive(Clone)]
pub struct Hasher {
    state: HasherState,
    len: u64,
}

#[derive(Clone)]
enum HasherState {
    Sha256(Sha256),
    Sha384(Sha384),
    Sha512(Sha512),
}

impl Hasher {
    /// A fresh hasher.
    pub fn new(algorithm: Algorithm) -> Hasher {
        let state = match algorithm {
            Algorithm::Sha256 => HasherState::Sha256(Sha256::new()),
            Algorithm::Sha384 => HasherState::Sha384(Sha384::new()),
            Algorithm::Sha512 => HasherState::Sha512(Sha512::new()),
        };
        Hasher { state, len: 0 }
    }

    /// Adds bytes to the hash.
    pub fn update(&mut self, bytes: &[u8]) {
        self.len += bytes.len() as u64;
        match &mut self.state {
            HasherState::Sha256(h) => h.update(bytes),
            HasherState::Sha384(h) => h.update(bytes),
            HasherState::Sha512(h) => h.update(bytes),
        }
    }

    /// How many bytes have been hashed so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing has been hashed yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The digest of everything fed so far.
    pub fn finish(self) -> Digest {
        let (algorithm, hex) = match self.state {
            HasherState::Sha256(h) => (Algorithm::Sha256, to_hex(&h.finalize())),
            HasherState::Sha384(h) => (Algorithm::Sha384, to_hex(&h.finalize())),
            HasherState::Sha512(h) => (Algorithm::Sha512, to_hex(&h.finalize())),
        };
        Digest { algorithm, hex }
    }
}

/// Why bytes failed verification against what was expected of them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The byte count differs from the descriptor's `size`.
    #[error("size mismatch: expected {expected} bytes, got {actual}")]
    Size {
        /// The size the descriptor promised.
        expected: u64,
        /// The size received.
        actual: u64,
    },
    /// The content hashes to a different digest.
    #[error("digest mismatch: expected {expected}, got {actual}")]
    Digest {
        /// The digest the descriptor or reference promised.
        expected: Digest,
        /// The digest of the bytes received.
        actual: Digest,
    },
}

/// Bytes whose digest (and size, when one was promised) have been checked.
///
/// Only this module can create a value, through [`verify`]; parsers of trusted
/// documents take `&Verified`, so unverified bytes cannot reach them.
#[derive(Clone, PartialEq, Eq)]
pub struct Verified {
    bytes: Vec<u8>,
    digest: Digest,
}

impl Verified {
    /// Bytes that nothing promised a digest for, taken as they are and named
    /// by their own SHA-256: a trust decision, not a check, and spelled out
    /// so a reader sees it. For content that is its own root of trust (a
    /// manifest fetched by tag when the registry sends no digest header; a
    /// layout's `index.json`, the operator's); everything a descriptor or a
    /// reference names goes through [`verify`].
    pub fn trust_own_digest(bytes: Vec<u8>) -> Verified {
        let digest = Digest::sha256(&bytes);
        Verified { bytes, digest }
    }

    /// The verified bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The digest the bytes were checked against.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// Gives the bytes back.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

impl fmt::Debug for Verified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Verified({}, {} bytes)", self.digest, self.bytes.len())
    }
}

/// Checks `bytes` against an expected digest and, when known, an expected size
/// (a descriptor always has one; a manifest fetched by a reference's digest
/// has none). The size is checked first: it is cheap and explains truncation.
pub fn verify(
    bytes: Vec<u8>,
    expected: &Digest,
    size: Option<u64>,
) -> Result<Verified, VerifyError> {
    if let Some(expected_size) = size {
        if bytes.len() as u64 != expected_size {
            return Err(VerifyError::Size {
                expected: expected_size,
                actual: bytes.len() as u64,
            });
        }
    }
    let actual = Digest::of(expected.algorithm(), &bytes);
    if &actual != expected {
        return Err(VerifyError::Digest {
            expected: expected.clone(),
            actual,
        });
    }
    Ok(Verified {
        bytes,
        digest: actual,
    })
}

/// Compares a streamed blob's computed digest and size with what its
/// descriptor promised, for content that was hashed as it went by rather than
/// held (layers).
pub fn check_stream(
    expected: &Digest,
    expected_size: Option<u64>,
    actual: &Digest,
    actual_size: u64,
) -> Result<(), VerifyError> {
    if let Some(e) = expected_size {
        if e != actual_size {
            return Err(VerifyError::Size {
                expected: e,
                actual: actual_size,
            });
        }
    }
    if expected != actual {
        return Err(VerifyError::Digest {
            expected: expected.clone(),
            actual: actual.clone(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_sha256_is_the_well_known_value() {
        assert_eq!(
            Digest::sha256(b"").to_string(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn incremental_equals_one_shot() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7) as u8).collect();
        for alg in [Algorithm::Sha256, Algorithm::Sha384, Algorithm::Sha512] {
            let mut h = Hasher::new(alg);
            for chunk in data.chunks(333) {
                h.update(chunk);
            }
            assert_eq!(h.len(), data.len() as u64);
            assert_eq!(h.finish(), Digest::of(alg, &data));
        }
    }

    #[test]
    fn trusting_bytes_names_them_by_their_own_sha256() {
        let v = Verified::trust_own_digest(b"{}".to_vec());
        assert_eq!(v.digest(), &Digest::sha256(b"{}"));
        assert_eq!(v.bytes(), b"{}");
    }

    #[test]
    fn verify_checks_size_then_digest() {
        let d = Digest::sha256(b"hello");
        assert!(verify(b"hello".to_vec(), &d, Some(5)).is_ok());
        assert!(verify(b"hello".to_vec(), &d, None).is_ok());
        assert_eq!(
            verify(b"hell".to_vec(), &d, Some(5)),
            Err(VerifyError::Size {
                expected: 5,
                actual: 4
            })
        );
        assert!(matches!(
            verify(b"jello".to_vec(), &d, Some(5)),
            Err(VerifyError::Digest { .. })
        ));
    }

    #[test]
    fn round_trips_through_string_and_serde() {
        let d = Digest::of(Algorithm::Sha512, b"x");
        let s = d.to_string();
        assert_eq!(s.parse::<Digest>().unwrap(), d);
        let j = serde_json::to_string(&d).unwrap();
        assert_eq!(serde_json::from_str::<Digest>(&j).unwrap(), d);
        assert!(serde_json::from_str::<Digest>("\"sha256:abc\"").is_err());
    }

    #[test]
    fn raw_is_the_inverse_of_from_raw() {
        for alg in [Algorithm::Sha256, Algorithm::Sha384, Algorithm::Sha512] {
            let d = Digest::of(alg, b"layerlens");
            assert_eq!(d.raw().len(), alg.size());
            assert_eq!(Digest::from_raw(alg, &d.raw()), Some(d));
        }
        let empty = Digest::sha256(b"");
        assert_eq!(empty.raw()[..4], [0xe3, 0xb0, 0xc4, 0x42]);
    }
}
