//! Helpers shared by the document tests: fixed digests, verified bytes,
//! parsing with a hint, and unwrapping a `Document` into what a test expects.

use layerlens::oci::{
    parse_document, verify, Digest, Document, DocumentError, ImageIndex, ImageManifest, MediaType,
    Verified,
};

pub const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
pub const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
pub const D3: &str = "sha256:3333333333333333333333333333333333333333333333333333333333333333";
pub const D4: &str = "sha256:4444444444444444444444444444444444444444444444444444444444444444";

pub fn verified(bytes: &[u8]) -> Verified {
    verify(bytes.to_vec(), &Digest::sha256(bytes), None).unwrap()
}

pub fn parse(json: &str, hint: Option<MediaType>) -> Result<Document, DocumentError> {
    parse_document(&verified(json.as_bytes()), hint.as_ref())
}

pub fn manifest(doc: Document) -> ImageManifest {
    match doc {
        Document::Manifest(m) => m,
        Document::Index(i) => panic!("expected a manifest, got an index {}", i.digest()),
    }
}

pub fn index(doc: Document) -> ImageIndex {
    match doc {
        Document::Index(i) => i,
        Document::Manifest(m) => panic!("expected an index, got a manifest {}", m.digest()),
    }
}
