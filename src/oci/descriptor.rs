//! Content descriptors: the typed pointer (`mediaType` + `digest` + `size`)
//! through which every manifest, config and layer is reached.
//!
//! Rules implemented (OCI image-spec `descriptor.md` and its JSON schema,
//! `content-descriptor.json` / `defs-descriptor.json`):
//!
//! * `mediaType` REQUIRED, RFC 6838 grammar ([`MediaType`]);
//! * `digest` REQUIRED, a registered algorithm we can verify ([`Digest`]);
//! * `size` REQUIRED, an integer in `0..=i64::MAX` (the schema's int64, minimum 0);
//! * `urls` OPTIONAL, each an RFC 3986 URI with a scheme (the schema's `format: uri`);
//! * `annotations` OPTIONAL, string to string;
//! * `data` OPTIONAL, standard padded base64 that must decode (upstream's Go
//!   check), and whose content MUST be verified before use ([`Descriptor::embedded_data`]);
//! * `artifactType` OPTIONAL, RFC 6838 grammar;
//! * `platform` OPTIONAL (index entries), see [`Platform`].
//!
//! Unknown fields are ignored, as the schema allows additional properties.

use std::collections::BTreeMap;

use crate::oci::base64::{base64_decode, base64_encode};

use crate::oci::digest::{verify, Digest, Verified, VerifyError};
use crate::oci::document::DocumentError;
use crate::oci::json::{decode_json, object_only};
use crate::oci::{MediaType, Platform};

/// A typed reference to content: what it is, its digest and its size.
///
/// Fields are private and checked during deserialisation, so a `Descriptor`
/// always satisfies the rules in the module documentation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(remote = "Self")]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    media_type: MediaType,
    digest: Digest,
    size: Size,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    urls: Vec<Uri>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    annotations: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    platform: Option<Platform>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    artifact_type: Option<MediaType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    data: Option<Base64Data>,
}
object_only!(Descriptor, "a descriptor object", serialize);

impl Descriptor {
    /// A descriptor for content we measured ourselves (tests, locally built
    /// documents). Descriptors from documents come from deserialisation.
    /// A size above `i64::MAX` (no real blob has one) is clamped to it.
    pub fn new(media_type: MediaType, digest: Digest, size: u64) -> Descriptor {
        Descriptor {
            media_type,
            digest,
            size: Size(size.min(MAX_SIZE)),
            urls: Vec::new(),
            annotations: BTreeMap::new(),
            platform: None,
            artifact_type: None,
            data: None,
        }
    }

    /// The same descriptor with a platform (as an index entry carries).
    pub fn with_platform(mut self, platform: Platform) -> Descriptor {
        self.platform = Some(platform);
        self
    }

    /// The same descriptor with one more annotation.
    pub fn with_annotation(
        mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> Descriptor {
        self.annotations.insert(key.into(), value.into());
        self
    }

    /// The same descriptor with an artifact type.
    pub fn with_artifact_type(mut self, artifact_type: MediaType) -> Descriptor {
        self.artifact_type = Some(artifact_type);
        self
    }

    /// Parses a standalone descriptor (one a user pasted, or the root of an
    /// OCI layout): the start of a chain of trust, like a reference digest.
    /// Descriptors inside documents are parsed with the document.
    pub fn from_json(bytes: &[u8]) -> Result<Descriptor, DocumentError> {
        decode_json("descriptor", bytes)
    }

    /// What the content is: the parser or decoder to use is chosen from this.
    pub fn media_type(&self) -> &MediaType {
        &self.media_type
    }

    /// The content's digest.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// The content's size in bytes (at most `i64::MAX`).
    pub fn size(&self) -> u64 {
        self.size.0
    }

    /// Where else the content may be fetched from (foreign layers), in order.
    pub fn urls(&self) -> impl Iterator<Item = &str> {
        self.urls.iter().map(|u| u.0.as_str())
    }

    /// Annotations, sorted by key.
    pub fn annotations(&self) -> &BTreeMap<String, String> {
        &self.annotations
    }

    /// One annotation's value.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations.get(key).map(String::as_str)
    }

    /// The platform an index entry is for, if given.
    pub fn platform(&self) -> Option<&Platform> {
        self.platform.as_ref()
    }

    /// The artifact type of the referenced manifest, if this points at an artifact.
    pub fn artifact_type(&self) -> Option<&MediaType> {
        self.artifact_type.as_ref()
    }

    /// Whether the descriptor embeds its content in `data`.
    pub fn has_embedded_data(&self) -> bool {
        self.data.is_some()
    }

    /// The embedded content, verified against this descriptor's digest and
    /// size (the spec: "MUST verify ... before using the content"); `None`
    /// when there is no `data` field.
    pub fn embedded_data(&self) -> Option<Result<Verified, VerifyError>> {
        let data = self.data.as_ref()?;
        Some(verify(data.0.clone(), &self.digest, Some(self.size.0)))
    }

    /// Verifies fetched content against this descriptor (size, then digest):
    /// the only way content reached through a descriptor becomes [`Verified`].
    pub fn verify(&self, bytes: Vec<u8>) -> Result<Verified, VerifyError> {
        verify(bytes, &self.digest, Some(self.size.0))
    }
}

/// The schema's int64 upper bound.
const MAX_SIZE: u64 = i64::MAX as u64;

/// A descriptor's `size`: an integer in `0..=i64::MAX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Size(u64);

impl serde::Serialize for Size {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Size {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Size, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Size;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a size: an integer from 0 to 9223372036854775807")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Size, E> {
                if v > MAX_SIZE {
                    return Err(E::custom(format!(
                        "size {v} is larger than the int64 maximum"
                    )));
                }
                Ok(Size(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Size, E> {
                u64::try_from(v)
                    .map(Size)
                    .map_err(|_| E::custom(format!("size {v} is negative")))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Size, E> {
                Err(E::custom(format!(
                    "size {v} is not an integer from 0 to 9223372036854775807"
                )))
            }
        }
        d.deserialize_any(V)
    }
}

/// One entry of `urls`: a URI with a scheme, as gojsonschema's `uri` format
/// checks it (Go's `url.Parse` succeeds, the scheme is non-empty, no `\`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
struct Uri(String);

fn uri_problem(s: &str) -> Option<&'static str> {
    let Some((scheme, _)) = s.split_once(':') else {
        return Some("has no scheme (expected e.g. https://…)");
    };
    let mut sb = scheme.bytes();
    let scheme_ok = sb.next().is_some_and(|b| b.is_ascii_alphabetic())
        && sb.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !scheme_ok {
        return Some("has no valid scheme (expected e.g. https://…)");
    }
    if s.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Some("contains a control character");
    }
    if s.contains('\\') {
        return Some("contains a backslash");
    }
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let ok =
                b.len() > i + 2 && b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit();
            if !ok {
                return Some("has an invalid %-escape");
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    None
}

impl<'de> serde::Deserialize<'de> for Uri {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Uri, D::Error> {
        let s = String::deserialize(d)?;
        match uri_problem(&s) {
            Some(why) => Err(serde::de::Error::custom(format!("url {s:?} {why}"))),
            None => Ok(Uri(s)),
        }
    }
}

/// Decoded `data`: standard base64 with padding, as Go's
/// `encoding/base64.StdEncoding` reads it (CR and LF are skipped).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Base64Data(Vec<u8>);

impl serde::Serialize for Base64Data {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64_encode(&self.0))
    }
}

impl<'de> serde::Deserialize<'de> for Base64Data {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Base64Data, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        base64_decode(&s)
            .map(Base64Data)
            .map_err(|why| serde::de::Error::custom(format!("data is not valid base64: {why}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270";

    fn parse(json: &str) -> Result<Descriptor, DocumentError> {
        Descriptor::from_json(json.as_bytes())
    }

    fn err(json: &str) -> String {
        parse(json).unwrap_err().to_string()
    }

    #[test]
    fn required_fields_and_accessors() {
        let d = parse(&format!(
            r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":7682,"digest":"{D}",
                "urls":["https://example.com/foo"],"annotations":{{"k":"v"}},"future":1}}"#
        ))
        .unwrap();
        assert_eq!(d.media_type(), &MediaType::OciManifest);
        assert_eq!(d.digest().to_string(), D);
        assert_eq!(d.size(), 7682);
        assert_eq!(d.urls().collect::<Vec<_>>(), ["https://example.com/foo"]);
        assert_eq!(d.annotation("k"), Some("v"));
        assert!(d.platform().is_none() && d.artifact_type().is_none());
        assert!(
            err(&format!(r#"{{"size":1,"digest":"{D}"}}"#)).contains("missing field `mediaType`")
        );
        assert!(err(r#"{"mediaType":"a/b","size":1}"#).contains("missing field `digest`"));
        assert!(err(&format!(r#"{{"mediaType":"a/b","digest":"{D}"}}"#))
            .contains("missing field `size`"));
    }

    #[test]
    fn size_must_be_a_non_negative_int64() {
        let with = |size: &str| {
            parse(&format!(
                r#"{{"mediaType":"a/b","size":{size},"digest":"{D}"}}"#
            ))
        };
        assert_eq!(with("0").unwrap().size(), 0);
        assert_eq!(with("9223372036854775807").unwrap().size(), i64::MAX as u64);
        let e = with("-7682").unwrap_err().to_string();
        assert!(
            e.contains("size -7682 is negative") && e.contains("at size"),
            "{e}"
        );
        assert!(with("9223372036854775808")
            .unwrap_err()
            .to_string()
            .contains("int64 maximum"));
        assert!(with("1.5")
            .unwrap_err()
            .to_string()
            .contains("not an integer"));
        assert!(with("1e400").is_err());
        assert!(with("\"7682\"")
            .unwrap_err()
            .to_string()
            .contains("invalid type: string"));
    }

    #[test]
    fn urls_need_a_scheme() {
        let with = |u: &str| {
            parse(&format!(
                r#"{{"mediaType":"a/b","size":1,"digest":"{D}","urls":[{u}]}}"#
            ))
        };
        assert!(with(r#""https://example.com/a%20b""#).is_ok());
        assert!(with(r#""value""#)
            .unwrap_err()
            .to_string()
            .contains("has no scheme"));
        assert!(with(r#""1http://x""#).is_err());
        assert!(with(r#""http://x\\y""#).is_err());
        assert!(with(r#""http://x/%zz""#)
            .unwrap_err()
            .to_string()
            .contains("%-escape"));
        let e = with(r#""https://ok", "bad""#).unwrap_err().to_string();
        assert!(e.contains("urls[1]"), "{e}");
    }

    #[test]
    fn data_is_padded_base64_and_verified_before_use() {
        let ok = r#"{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2,"data":"e30="}"#;
        let d = parse(ok).unwrap();
        assert_eq!(d.embedded_data().unwrap().unwrap().bytes(), b"{}");
        let lying = ok.replace("e30=", "e2A=");
        let d = parse(&lying).unwrap();
        assert!(d.embedded_data().unwrap().is_err());
        let e = err(&ok.replace("e30=", "e30"));
        assert!(
            e.contains("not valid base64") && e.contains("at data"),
            "{e}"
        );
        assert!(err(&ok.replace("e30=", "e3!=")).contains("illegal character"));
        assert!(err(&ok.replace("e30=", "e===")).contains("padding"));
        assert!(err(&ok.replace("e30=", "e3==e30=")).contains("padding"));
    }

    #[test]
    fn serialises_back_to_the_spec_shape() {
        let d = Descriptor::new(MediaType::OciEmpty, Digest::sha256(b"{}"), 2)
            .with_platform(Platform::linux_amd64())
            .with_annotation("a", "b");
        let j = serde_json::to_string(&d).unwrap();
        assert!(
            j.starts_with(r#"{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:"#),
            "{j}"
        );
        assert!(
            j.contains(r#""size":2"#) && j.contains(r#""platform":{"os":"linux""#),
            "{j}"
        );
        assert_eq!(Descriptor::from_json(j.as_bytes()).unwrap(), d);
        let v = d.verify(b"{}".to_vec()).unwrap();
        assert_eq!(v.bytes(), b"{}");
        assert!(d.verify(b"{ }".to_vec()).is_err());
    }
}
