//! The one way from a scanned (or stored, or transferred) layer index to a
//! layer the merged tree may use: [`verify`] against the manifest's
//! descriptor and the config's diff_id.
//!
//! Wherever the index came from — a scan on this thread, a worker's report,
//! the image library — it is checked here, and only a [`VerifiedLayer`]
//! reaches [`crate::fs::MergeBuilder::push_layer`]. Its fields are private
//! and it has no other constructor, so "an unverified layer adds nothing to
//! the tree" is a type, not a convention each caller repeats.

use crate::oci::digest::{check_stream, Algorithm, Digest, VerifyError};
use crate::oci::Descriptor;

use super::index::LayerIndex;

/// Why a layer does not match what the manifest and config promised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayerProblem {
    /// The blob's size or digest differs from the layer descriptor's.
    #[error("layer blob does not match its descriptor: {0}")]
    Blob(VerifyError),
    /// The uncompressed tar's digest differs from the config's diff_id.
    #[error("uncompressed layer does not match the config's diff_id: {0}")]
    DiffId(VerifyError),
    /// The expected digest uses another algorithm than the scan computed:
    /// scan again with [`super::ScanOptions`] set from the descriptor and
    /// config.
    #[error("cannot check the {what}: expected a {expected} digest, the scan computed {computed}")]
    Algorithm {
        /// `"blob digest"` or `"diff_id"`.
        what: &'static str,
        /// The algorithm of the expected digest.
        expected: Algorithm,
        /// The algorithm the scan used.
        computed: Algorithm,
    },
}

/// A layer whose blob digest and size matched its descriptor and whose tar
/// stream matched the config's diff_id (when the config names one): the
/// only layer whose entries the merged tree takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedLayer {
    index: LayerIndex,
}

impl VerifiedLayer {
    /// The verified index (digests, sizes, entries).
    pub fn index(&self) -> &LayerIndex {
        &self.index
    }

    /// The entries, in tar order.
    pub fn entries(&self) -> &[crate::layer::Entry] {
        self.index.entries()
    }

    /// Gives the index back (no longer a verification: it may be stored or
    /// sent, and is verified again wherever it is used).
    pub fn into_index(self) -> LayerIndex {
        self.index
    }
}

/// A layer index that [`verify`] refused: every mismatch, and the index
/// back (its entries can still be shown, marked unverified).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", join(.problems))]
pub struct Unverified {
    index: Box<LayerIndex>,
    problems: Vec<LayerProblem>,
}

fn join(problems: &[LayerProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl Unverified {
    /// Every check that failed, blob first (never empty).
    pub fn problems(&self) -> &[LayerProblem] {
        &self.problems
    }

    /// The index that was checked (not trusted).
    pub fn index(&self) -> &LayerIndex {
        &self.index
    }
}

/// Checks `index` against the layer's `descriptor` (digest and size) and the
/// config's `rootfs.diff_ids` entry (`diff_id`, when the config has one).
pub fn verify(
    index: LayerIndex,
    descriptor: &Descriptor,
    diff_id: Option<&Digest>,
) -> Result<VerifiedLayer, Unverified> {
    let problems = check(
        &index,
        descriptor.digest(),
        Some(descriptor.size()),
        diff_id,
    );
    if problems.is_empty() {
        Ok(VerifiedLayer { index })
    } else {
        Err(Unverified {
            index: Box::new(index),
            problems,
        })
    }
}

/// Every mismatch between `index` and what was promised (see [`verify`]).
pub(crate) fn check(
    index: &LayerIndex,
    blob: &Digest,
    size: Option<u64>,
    diff_id: Option<&Digest>,
) -> Vec<LayerProblem> {
    let blob = Some(compare(
        "blob digest",
        blob,
        size,
        (index.digest(), index.compressed_size()),
        LayerProblem::Blob,
    ));
    let diff = diff_id.map(|expected| {
        compare(
            "diff_id",
            expected,
            None,
            (index.diff_id(), index.tar_size()),
            LayerProblem::DiffId,
        )
    });
    [blob, diff].into_iter().flatten().flatten().collect()
}

/// One digest (and size) check; another algorithm cannot be compared.
fn compare(
    what: &'static str,
    expected: &Digest,
    size: Option<u64>,
    (actual, actual_size): (&Digest, u64),
    mismatch: fn(VerifyError) -> LayerProblem,
) -> Option<LayerProblem> {
    if expected.algorithm() != actual.algorithm() {
        return Some(LayerProblem::Algorithm {
            what,
            expected: expected.algorithm(),
            computed: actual.algorithm(),
        });
    }
    check_stream(expected, size, actual, actual_size)
        .err()
        .map(mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oci::{Compression, MediaType};

    fn index(blob: &[u8], tar: &[u8]) -> LayerIndex {
        LayerIndex::new(
            Digest::sha256(blob),
            Digest::sha256(tar),
            blob.len() as u64,
            tar.len() as u64,
            Compression::Gzip,
            Vec::new(),
        )
    }

    fn descriptor(blob: &[u8]) -> Descriptor {
        Descriptor::new(
            MediaType::OciLayerGzip,
            Digest::sha256(blob),
            blob.len() as u64,
        )
    }

    #[test]
    fn a_matching_index_verifies_with_or_without_a_diff_id() {
        let d = descriptor(b"blob");
        let diff = Digest::sha256(b"tar");
        let v = verify(index(b"blob", b"tar"), &d, Some(&diff)).unwrap();
        assert_eq!(v.index().digest(), d.digest());
        assert!(verify(index(b"blob", b"tar"), &d, None).is_ok());
    }

    #[test]
    fn a_wrong_digest_says_expected_and_actual() {
        let d = descriptor(b"blo8");
        let e = verify(index(b"blob", b"tar"), &d, None).unwrap_err();
        assert_eq!(
            e.problems(),
            [LayerProblem::Blob(VerifyError::Digest {
                expected: d.digest().clone(),
                actual: Digest::sha256(b"blob"),
            })]
        );
        assert!(e.to_string().contains("digest mismatch"), "{e}");
        assert_eq!(e.index().digest(), &Digest::sha256(b"blob"));
    }

    #[test]
    fn a_wrong_size_is_reported_before_the_digest() {
        let d = Descriptor::new(MediaType::OciLayerGzip, Digest::sha256(b"blob"), 5);
        let e = verify(index(b"blob", b"tar"), &d, None).unwrap_err();
        assert_eq!(
            e.problems(),
            [LayerProblem::Blob(VerifyError::Size {
                expected: 5,
                actual: 4
            })]
        );
    }

    #[test]
    fn a_wrong_diff_id_is_its_own_problem_next_to_a_blob_mismatch() {
        let other = Digest::sha256(b"other");
        let e = verify(index(b"blob", b"tar"), &descriptor(b"blob"), Some(&other)).unwrap_err();
        assert_eq!(
            e.problems(),
            [LayerProblem::DiffId(VerifyError::Digest {
                expected: other.clone(),
                actual: Digest::sha256(b"tar"),
            })]
        );
        let e = verify(index(b"blob", b"tar"), &descriptor(b"x"), Some(&other)).unwrap_err();
        assert_eq!(e.problems().len(), 2);
        assert!(e.to_string().contains("; "), "{e}");
    }

    #[test]
    fn another_algorithm_cannot_be_compared() {
        let sha512 = Digest::of(Algorithm::Sha512, b"blob");
        let d = Descriptor::new(MediaType::OciLayerGzip, sha512, 4);
        let e = verify(index(b"blob", b"tar"), &d, None).unwrap_err();
        assert!(matches!(
            e.problems(),
            [LayerProblem::Algorithm {
                what: "blob digest",
                ..
            }]
        ));
    }
}
