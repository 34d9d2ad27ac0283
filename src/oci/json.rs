//! JSON decoding shared by every document type: error paths, size limits,
//! and objects that must be JSON objects.
//!
//! serde's derived `Deserialize` for a struct also accepts a JSON *array* of
//! the field values in order (`["application/…", "sha256:…", 5]` as a
//! descriptor). The OCI schemas, and Go's `encoding/json` upstream uses, accept
//! only objects, and guessing a struct from an array is exactly the
//! shape-guessing we do not do. [`object_only!`] derives the struct's decoder
//! as an inherent function (`#[serde(remote = "Self")]`) and implements the
//! `Deserialize` trait on top of it so that only a JSON object is accepted.

use std::marker::PhantomData;

use serde::de::{MapAccess, Visitor};

use crate::oci::document::{DocumentError, JsonErrorKind};

/// Deserialises `T` from JSON, reporting the path of the first problem.
pub(crate) fn decode_json<T: serde::de::DeserializeOwned>(
    what: &'static str,
    bytes: &[u8],
) -> Result<T, DocumentError> {
    // Natively, the fast way first; only a document that fails is read
    // again with its path tracked, to say where (10–25 % of a large SBOM's
    // parse). Not in the page: a second deserializer for every document
    // type is 31 KB of its gzipped wasm.
    #[cfg(not(target_arch = "wasm32"))]
    if let Ok(value) = serde_json::from_slice(bytes) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| json_error(what, e))?;
    de.end().map_err(|e| DocumentError::Json {
        what,
        kind: JsonErrorKind::Syntax,
        path: ".".into(),
        line: e.line(),
        column: e.column(),
        message: strip_position(&e.to_string()),
    })?;
    Ok(value)
}

fn json_error(
    what: &'static str,
    e: serde_path_to_error::Error<serde_json::Error>,
) -> DocumentError {
    let path = e.path().to_string();
    let inner = e.into_inner();
    let kind = match inner.classify() {
        serde_json::error::Category::Eof => JsonErrorKind::Truncated,
        serde_json::error::Category::Data => JsonErrorKind::Data,
        serde_json::error::Category::Syntax | serde_json::error::Category::Io => {
            JsonErrorKind::Syntax
        }
    };
    DocumentError::Json {
        what,
        kind,
        path,
        line: inner.line(),
        column: inner.column(),
        message: strip_position(&inner.to_string()),
    }
}

/// serde_json appends " at line L column C"; we report the position ourselves.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg.to_owned(),
    }
}

/// Refuses documents larger than `limit` before any parsing.
pub(crate) fn check_size(
    what: &'static str,
    bytes: &[u8],
    limit: usize,
) -> Result<(), DocumentError> {
    if bytes.len() > limit {
        return Err(DocumentError::TooLarge {
            what,
            size: bytes.len(),
            limit,
        });
    }
    Ok(())
}

/// A struct whose fields are decoded by serde's derive, from a JSON object only.
pub(crate) trait ObjectOnly<'de>: Sized {
    /// What the error says was expected (`a descriptor object`).
    const EXPECTING: &'static str;
    /// Decodes the fields from an object's entries.
    fn from_map<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error>;
}

/// `Deserialize::deserialize` for an [`ObjectOnly`] type.
pub(crate) fn deserialize_object<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: ObjectOnly<'de>,
{
    struct V<T>(PhantomData<T>);
    impl<'de, T: ObjectOnly<'de>> Visitor<'de> for V<T> {
        type Value = T;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(T::EXPECTING)
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
            T::from_map(map)
        }
    }
    d.deserialize_map(V(PhantomData))
}

/// Implements `Deserialize` (object-only) for a type deriving `Deserialize`
/// with `#[serde(remote = "Self")]`; with `serialize` also `Serialize`.
macro_rules! object_only {
    ($ty:ty, $expecting:expr) => {
        impl<'de> $crate::oci::json::ObjectOnly<'de> for $ty {
            const EXPECTING: &'static str = $expecting;
            fn from_map<A: serde::de::MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
                <$ty>::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            }
        }
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::oci::json::deserialize_object(d)
            }
        }
    };
    ($ty:ty, $expecting:expr, serialize) => {
        object_only!($ty, $expecting);
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                <$ty>::serialize(self, s)
            }
        }
    };
}

pub(crate) use object_only;
