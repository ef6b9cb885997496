//! A client's copy of a room's replicated state, kept from the frames the
//! server sends (`joined`, `patch`, compact `p`), as docs/protocol.md
//! describes them. The test harness reads a player's view through it, and
//! so do the socket tests.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde_json::Value;

/// A client-side copy of a room's replicated state.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Mirror {
    /// The tick of the last state applied.
    pub tick: u64,
    /// This client's entity id (`joined.you`); `u64::MAX`, which no
    /// entity has, for a spectator.
    pub you: u64,
    /// The client watches the room without a seat (`joined.watching`).
    pub watching: bool,
    /// `joined.schema`: `[name, fields]` per replicated type.
    pub schema: Vec<Value>,
    /// Entity id -> type index -> value.
    pub entities: BTreeMap<u64, BTreeMap<u64, Value>>,
    /// Type index -> value.
    pub resources: BTreeMap<u64, Value>,
}

impl Mirror {
    /// Applies a server frame (MessagePack); frames that carry no state are
    /// ignored. Returns the frame decoded.
    pub fn apply_frame(&mut self, frame: &[u8]) -> Result<Value, rmp_serde::decode::Error> {
        let message: Value = rmp_serde::from_slice(frame)?;
        self.apply(&message);
        Ok(message)
    }

    /// Applies a decoded server message: `joined` replaces the state,
    /// `patch` and `p` change it, anything else is ignored.
    ///
    /// # Panics
    /// On a `joined`, `patch` or `p` that does not follow docs/protocol.md.
    pub fn apply(&mut self, m: &Value) {
        let id = |v: &Value| v.as_u64().expect("an id or index");
        let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
        match m["t"].as_str() {
            Some("joined") => {
                *self = Mirror::default();
                self.tick = id(&m["tick"]);
                self.you = m["you"].as_u64().unwrap_or(u64::MAX);
                self.watching = m["watching"] == true;
                self.schema = list(&m["schema"]);
                for e in list(&m["state"]["e"]) {
                    let comps = self.entities.entry(id(&e[0])).or_default();
                    for c in list(&e[1]) {
                        comps.insert(id(&c[0]), c[1].clone());
                    }
                }
                for r in list(&m["state"]["r"]) {
                    self.resources.insert(id(&r[0]), r[1].clone());
                }
            }
            Some("patch") => {
                self.tick = id(&m["tick"]);
                for e in list(&m["ch"]) {
                    let comps = self.entities.entry(id(&e[0])).or_default();
                    for c in list(&e[1]) {
                        comps.insert(id(&c[0]), c[1].clone());
                    }
                }
                for e in list(&m["rm"]) {
                    if let Some(comps) = self.entities.get_mut(&id(&e[0])) {
                        for ty in list(&e[1]) {
                            comps.remove(&id(&ty));
                        }
                    }
                }
                for gone in list(&m["gone"]) {
                    self.entities.remove(&id(&gone));
                }
                for r in list(&m["r"]) {
                    self.resources.insert(id(&r[0]), r[1].clone());
                }
            }
            Some("p") => {
                // The compact patch: flat arrays, struct fields inline. A
                // lean one has no `k`: it is the tick after the last.
                self.tick = m.get("k").map_or(self.tick + 1, id);
                let c = list(&m["c"]);
                let mut i = 0;
                while i < c.len() {
                    let (ty, n) = (id(&c[i]), id(&c[i + 1]));
                    i += 2;
                    let fields = self.schema[ty as usize][1].as_array().map(Vec::len);
                    for _ in 0..n {
                        // A lean `p` may send a struct's changed fields
                        // only: the id negated minus one, a bitmask, then
                        // the fields the mask names.
                        if let (Some(f), Some(negated)) = (fields, c[i].as_i64().filter(|v| *v < 0)) {
                            let entity = (-negated - 1) as u64;
                            let mask = id(&c[i + 1]);
                            i += 2;
                            let value = self
                                .entities
                                .get_mut(&entity)
                                .and_then(|comps| comps.get_mut(&ty))
                                .and_then(Value::as_array_mut)
                                .expect("changed fields of a value the client has");
                            for field in (0..f).filter(|b| mask & 1 << b != 0) {
                                value[field] = c[i].clone();
                                i += 1;
                            }
                            continue;
                        }
                        let entity = id(&c[i]);
                        i += 1;
                        let value = match fields {
                            Some(f) => {
                                i += f;
                                Value::Array(c[i - f..i].to_vec())
                            }
                            None => {
                                i += 1;
                                c[i - 1].clone()
                            }
                        };
                        self.entities.entry(entity).or_default().insert(ty, value);
                    }
                }
                for pair in list(&m["m"]).chunks(2) {
                    if let Some(comps) = self.entities.get_mut(&id(&pair[0])) {
                        comps.remove(&id(&pair[1]));
                    }
                }
                for gone in list(&m["g"]) {
                    self.entities.remove(&id(&gone));
                }
                for pair in list(&m["r"]).chunks(2) {
                    self.resources.insert(id(&pair[0]), pair[1].clone());
                }
            }
            _ => {}
        }
    }

    /// The schema index of a type name.
    ///
    /// # Panics
    /// When the room replicates no type of that name.
    pub fn type_index(&self, name: &str) -> u64 {
        self.schema
            .iter()
            .position(|s| s[0] == name)
            .unwrap_or_else(|| panic!("{name} is not replicated in this room")) as u64
    }

    /// The value of resource `name`, as sent.
    ///
    /// # Panics
    /// When the room replicates no such resource, or it has no value yet.
    pub fn resource(&self, name: &str) -> &Value {
        &self.resources[&self.type_index(name)]
    }

    /// Entities carrying type `name`, with that value.
    pub fn with(&self, name: &str) -> Vec<(u64, Value)> {
        let ty = self.type_index(name);
        self.entities
            .iter()
            .filter_map(|(e, c)| c.get(&ty).map(|v| (*e, v.clone())))
            .collect()
    }

    /// Resource `R` as this client sees it, decoded into the game's own
    /// type; `None` when it has no value yet.
    ///
    /// # Panics
    /// When the room does not replicate `R`, or its value does not decode.
    pub fn resource_as<R: DeserializeOwned>(&self) -> Option<R> {
        let name = crate::protocol::wire_name::<R>();
        let value = self.resources.get(&self.type_index(name))?;
        Some(decode(name, value))
    }

    /// Component `C` of entity `id` (a wire id) as this client sees it.
    ///
    /// # Panics
    /// When the room does not replicate `C`, or its value does not decode.
    pub fn component_as<C: DeserializeOwned>(&self, id: u64) -> Option<C> {
        let name = crate::protocol::wire_name::<C>();
        let value = self.entities.get(&id)?.get(&self.type_index(name))?;
        Some(decode(name, value))
    }

    /// Every entity with component `C`, as (wire id, value).
    pub fn all_as<C: DeserializeOwned>(&self) -> Vec<(u64, C)> {
        let name = crate::protocol::wire_name::<C>();
        self.with(name)
            .into_iter()
            .map(|(id, v)| (id, decode(name, &v)))
            .collect()
    }
}

fn decode<T: DeserializeOwned>(name: &str, value: &Value) -> T {
    serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{name} = {value} does not decode: {e}"))
}
