//! Field names of replicated struct types, read from their `Deserialize`
//! implementation: a derived `Deserialize` names its fields when it asks a
//! deserializer for a struct, so a deserializer that only listens for that
//! request learns them without any macro of our own.

use serde::de::{self, Deserialize, Visitor};

/// The `fields` of a schema entry: struct field names, or `None` for any
/// other type (newtypes, tuples, enums, primitives).
pub fn field_names<'de, T: Deserialize<'de>>() -> Option<Vec<&'static str>> {
    let mut found = None;
    // The probe always errors once it has (or has not) seen a struct.
    let _ = T::deserialize(FieldProbe { found: &mut found });
    found
}

struct FieldProbe<'a> {
    found: &'a mut Option<Vec<&'static str>>,
}

#[derive(Debug)]
struct Stop;

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("schema probe")
    }
}

impl std::error::Error for Stop {}

impl de::Error for Stop {
    fn custom<M: std::fmt::Display>(_: M) -> Self {
        Stop
    }
}

impl<'de> de::Deserializer<'de> for FieldProbe<'_> {
    type Error = Stop;

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Stop> {
        *self.found = Some(fields.to_vec());
        Err(Stop)
    }

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Position {
        x: f32,
        y: f32,
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Board([u8; 9]);

    #[test]
    fn struct_fields_are_found_and_others_are_none() {
        assert_eq!(field_names::<Position>(), Some(vec!["x", "y"]));
        assert_eq!(field_names::<Board>(), None);
        assert_eq!(field_names::<u32>(), None);
    }
}
