//! One JSON record kept as its text and the places of its entries: a record is
//! read once, and a field's value is taken from the text when it is decoded,
//! without building a `serde_json::Value` tree (a string, a map and a heap
//! allocation per cell) for every record.
//!
//! What it answers is what the tree would: a repeated key's last value wins
//! and its first place counts; a nested value reads as its compact JSON.

use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::ops::Range;

/// A JSON object record.
pub struct Object {
    text: String,
    /// Each key (its place in `text`, or unescaped) and its value's place.
    entries: Vec<(Key, Range<usize>)>,
}

enum Key {
    At(Range<usize>),
    Unescaped(String),
}

/// A value as a cell sees it.
pub enum Json<'a> {
    Null,
    Bool(bool),
    /// A string's content, or a number's or nested value's JSON text.
    Text(Cow<'a, str>),
}

impl Json<'_> {
    /// The cell as text: a string without its quotes, `null` empty.
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            Json::Null => Cow::Borrowed(""),
            Json::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
            Json::Text(t) => Cow::Borrowed(t),
        }
    }
}

impl Object {
    /// `text` as an object; the text back where it is not valid JSON or not an
    /// object (the caller reads it as a tree to say which).
    pub fn parse(text: String) -> Result<Object, String> {
        let base = text.as_ptr() as usize;
        let place = |s: &str| {
            let at = (s.as_ptr() as usize).wrapping_sub(base);
            at..at + s.len()
        };
        let mut de = serde_json::Deserializer::from_str(&text);
        let Some(raw) = de.deserialize_map(Entries).ok().filter(|_| de.end().is_ok()) else {
            return Err(text);
        };
        let entries = raw
            .into_iter()
            .map(|(k, v)| {
                let key = match k {
                    Cow::Borrowed(k) => Key::At(place(k)),
                    Cow::Owned(k) => Key::Unescaped(k),
                };
                (key, place(v.get()))
            })
            .collect();
        Ok(Object { text, entries })
    }

    fn key<'a>(&'a self, k: &'a Key) -> &'a str {
        match k {
            Key::At(r) => self.text.get(r.clone()).unwrap_or_default(),
            Key::Unescaped(s) => s,
        }
    }

    /// Each key once, in the place it first appears.
    fn keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = Vec::with_capacity(self.entries.len());
        for (k, _) in &self.entries {
            let k = self.key(k);
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        keys
    }

    /// The value of `key` exactly as written (the last, if repeated).
    fn exact(&self, key: &str) -> Option<Json<'_>> {
        let (_, v) = self.entries.iter().rev().find(|(k, _)| self.key(k) == key)?;
        Some(value(self.text.get(v.clone()).unwrap_or_default()))
    }

    /// The value of `column`: the key as written, else the first key that
    /// differs from it only in case.
    pub fn get(&self, column: &str) -> Option<Json<'_>> {
        self.get_any(&[column])
    }

    /// The value of the first of `columns` (a field's column, then its
    /// aliases) written as a key; else of the first key that differs from
    /// one of them only in case, as a CSV header's columns are found.
    pub fn get_any(&self, columns: &[&str]) -> Option<Json<'_>> {
        columns.iter().find_map(|c| self.exact(c)).or_else(|| {
            let keys = self.keys();
            let k = columns.iter().find_map(|c| keys.iter().find(|k| k.eq_ignore_ascii_case(c)))?;
            self.exact(k)
        })
    }

    /// Every `(key, text)` of the object, for a reject report.
    pub fn all(&self) -> Vec<(String, String)> {
        self.keys()
            .into_iter()
            .map(|k| (k.to_string(), self.exact(k).map_or(String::new(), |v| v.text().into())))
            .collect()
    }
}

/// A raw JSON value as a cell.
fn value(raw: &str) -> Json<'_> {
    match raw.as_bytes().first() {
        Some(b'n') => Json::Null,
        Some(b't') => Json::Bool(true),
        Some(b'f') => Json::Bool(false),
        Some(b'"') => match raw.get(1..raw.len() - 1) {
            Some(inner) if !inner.contains('\\') => Json::Text(Cow::Borrowed(inner)),
            _ => Json::Text(Cow::Owned(serde_json::from_str::<String>(raw).unwrap_or_default())),
        },
        // A plain number reads as written; an exponent and nested values as
        // the tree prints them (`1E5` as `1e+5`, objects compact).
        _ if raw.bytes().all(|b| b.is_ascii_digit() || b == b'-' || b == b'.') => Json::Text(Cow::Borrowed(raw)),
        _ => Json::Text(Cow::Owned(
            serde_json::from_str::<serde_json::Value>(raw).map(|v| v.to_string()).unwrap_or_default(),
        )),
    }
}

/// The entries of an object: keys borrowed where they have no escapes.
struct Entries;

type Raw<'de> = Vec<(Cow<'de, str>, &'de RawValue)>;

impl<'de> Visitor<'de> for Entries {
    type Value = Raw<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(key) = map.next_key::<KeyText<'de>>()? {
            out.push((key.0, map.next_value::<&'de RawValue>()?));
        }
        Ok(out)
    }
}

struct KeyText<'de>(Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for KeyText<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KeyText<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(KeyText(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
                Ok(KeyText(Cow::Owned(s.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same answers as the `serde_json::Value` tree the reader used before.
    #[test]
    fn answers_as_the_value_tree_does() {
        let cases = [
            r#"{"id":"C1","spend":1200.50,"vip":true,"note":null,"tags":["a", 1],"o":{"x": 1}}"#,
            r#" {"id":"C\"2","ID":"x","sp\u00e9nd":"1,200","id":"C3"} "#,
            r#"{"Id":"c4","n":-0,"e":1E5,"f":1.50,"g":2.5e-3,"s":"two\nlines","u":"\u5f20"}"#,
            r#"{}"#,
        ];
        for text in cases {
            let tree: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text).unwrap();
            let obj = Object::parse(text.to_string()).unwrap();
            let raw = |v: &serde_json::Value| match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => String::new(),
                v => v.to_string(),
            };
            let want: Vec<(String, String)> = tree.iter().map(|(k, v)| (k.clone(), raw(v))).collect();
            assert_eq!(obj.all(), want, "{text}");
            for column in ["id", "ID", "iD", "spénd", "SPÉND", "n", "e", "f", "g", "tags", "o", "absent"] {
                let tree_value = tree
                    .get(column)
                    .or_else(|| tree.iter().find(|(k, _)| k.eq_ignore_ascii_case(column)).map(|(_, v)| v));
                assert_eq!(obj.get(column).map(|v| v.text().into_owned()), tree_value.map(raw), "{text} {column}");
            }
        }
        for not in ["[1]", "\"x\"", "{\"a\":1} x", "{\"a\":", "", "null"] {
            assert!(Object::parse(not.to_string()).is_err(), "{not}");
        }
    }
}
