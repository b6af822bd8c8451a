//! Strict JSON bodies: a key given twice in any object, at any depth, is refused (not "last one
//! wins"), and a JSON array is never accepted where an object is documented (serde would fill a
//! struct from an array by position). Bodies under `/v1/` must be JSON (or NDJSON for ingest):
//! another `Content-Type` gets 415.

use axum::extract::Request;
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};
use serde_json::Value;

use crate::error::ApiError;
use trail_core::strict::Unique;

/// Media types a `/v1/` request body may have (a missing `Content-Type` is read as JSON).
const ACCEPTED: &[&str] = &[
    "application/json",
    "application/x-ndjson",
    "application/jsonl",
];

/// 415 for a `/v1/` request with a body in a media type other than JSON.
pub async fn content_type(request: Request, next: Next) -> Response {
    let has_body = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) && request
        .headers()
        .get(header::CONTENT_LENGTH)
        .is_none_or(|len| len != "0");
    if has_body
        && request.uri().path().starts_with("/v1/")
        && let Some(ct) = request.headers().get(header::CONTENT_TYPE)
    {
        let essence = ct
            .to_str()
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if !ACCEPTED.contains(&essence.as_str()) && !essence.ends_with("+json") {
            return ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!(
                    "The body's Content-Type `{essence}` is not supported; send application/json."
                ),
            )
            .with_details([serde_json::json!({"field": "Content-Type", "rule": "media_type", "accepted": ACCEPTED})])
            .into_response();
        }
    }
    next.run(request).await
}

/// Parses `bytes` as JSON, refusing duplicate keys anywhere, then decodes `T` from it refusing
/// arrays where `T` has a struct. Errors carry the path (`actor.id`, `events[3]`).
pub fn from_slice<T: DeserializeOwned>(
    bytes: &[u8],
) -> Result<T, serde_path_to_error::Error<serde_json::Error>> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let mut track = serde_path_to_error::Track::new();
    let value = match <Unique as de::Deserialize>::deserialize(
        serde_path_to_error::Deserializer::new(&mut *de, &mut track),
    )
    .and_then(|Unique(value)| de.end().map(|()| value))
    {
        Ok(value) => value,
        Err(err) => return Err(serde_path_to_error::Error::new(track.path(), err)),
    };
    serde_path_to_error::deserialize(Strict(&value))
}

/// Decodes from a parsed value like `serde_json` does, except that a struct only accepts an
/// object.
struct Strict<'a>(&'a Value);

type Error = serde_json::Error;

impl<'de> de::Deserializer<'de> for Strict<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Array(items) => visitor.visit_seq(Items(items.iter())),
            Value::Object(object) => visitor.visit_map(Entries {
                iter: object.iter(),
                value: None,
            }),
            scalar => de::Deserializer::deserialize_any(scalar, visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Value::Object(_) => self.deserialize_any(visitor),
            other => Err(de::Error::invalid_type(unexpected(other), &"an object")),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_enum(self.0, name, variants, visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map identifier ignored_any
    }
}

fn unexpected(value: &Value) -> de::Unexpected<'_> {
    match value {
        Value::Null => de::Unexpected::Unit,
        Value::Bool(b) => de::Unexpected::Bool(*b),
        Value::Number(_) => de::Unexpected::Other("a number"),
        Value::String(s) => de::Unexpected::Str(s),
        Value::Array(_) => de::Unexpected::Seq,
        Value::Object(_) => de::Unexpected::Map,
    }
}

struct Items<'a>(std::slice::Iter<'a, Value>);

impl<'de> SeqAccess<'de> for Items<'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        self.0
            .next()
            .map(|v| seed.deserialize(Strict(v)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct Entries<'a> {
    iter: serde_json::map::Iter<'a>,
    value: Option<&'a Value>,
}

impl<'de> MapAccess<'de> for Entries<'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.iter.next() {
            Some((key, value)) => {
                self.value = Some(value);
                let key: de::value::StrDeserializer<'_, Error> = key.as_str().into_deserializer();
                seed.deserialize(key).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let value = self
            .value
            .take()
            .ok_or_else(|| de::Error::custom("value before key"))?;
        seed.deserialize(Strict(value))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}
