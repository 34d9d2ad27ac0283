//! Manifests, indexes and configs through the verified path: bytes made
//! `Verified` by their own digest, then `oci::parse_document` under each
//! kind of hint, and `ImageConfig::parse`.
#![no_main]
use layerlens::oci::{parse_document, Document, ImageConfig, MediaType, Verified};
use libfuzzer_sys::fuzz_target;

const HINTS: &[&str] = &[
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
    "application/vnd.oci.image.config.v1+json",
    "application/vnd.oci.empty.v1+json",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, json)) = data.split_first() else {
        return;
    };
    let verified = Verified::trust_own_digest(json.to_vec());
    let hint = HINTS
        .get(usize::from(pick) % (HINTS.len() + 1))
        .map(|h| MediaType::parse(h).expect("a known type"));
    match parse_document(&verified, hint.as_ref()) {
        Ok(Document::Index(index)) => {
            let _ = layerlens::oci::entries(&index);
        }
        Ok(doc) => {
            assert_eq!(doc.digest(), verified.digest());
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
    if let Ok(config) = ImageConfig::parse(&verified) {
        let _ = format!("{config:?}");
    }
});
