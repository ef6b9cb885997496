//! Matchmaking: finding or opening the room a player asked for.
//!
//! [`Matchmaker`] is the interface sessions use; [`LocalMatchmaker`] keeps
//! the room directory of this one process: rooms by code, the public rooms
//! with free seats, the room of each chat, and the seats held for players
//! whose connection dropped. Room codes are six characters
//! from an alphabet without look-alikes (no 0/O, 1/I), so they survive being
//! read aloud or typed from a screenshot.
//!
//! ```
//! let code = parlor::matchmaking::new_room_code();
//! assert_eq!(code.len(), 6);
//! assert!(parlor::matchmaking::is_room_code(&code));
//! ```

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use dashmap::DashMap;
use rand::RngExt;
use serde::Serialize;

use crate::catalog::Catalog;
use crate::protocol::ErrorCode;
use crate::room::{spawn_room, Directory, RoomContext, RoomHandle};

/// The characters of room codes: digits and capitals without 0, O, 1, I.
pub const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
/// Length of a room code.
pub const CODE_LEN: usize = 6;

/// A fresh random room code.
pub fn new_room_code() -> String {
    random_code(CODE_LEN)
}

/// `len` random characters from [`CODE_ALPHABET`].
pub(crate) fn random_code(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

/// Whether `s` has the shape of a room code (case-insensitive).
pub fn is_room_code(s: &str) -> bool {
    s.len() == CODE_LEN && s.bytes().all(|b| CODE_ALPHABET.contains(&b.to_ascii_uppercase()))
}

/// A public room as listed by `GET /api/rooms`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RoomSummary {
    pub code: String,
    pub game: String,
    pub players: u32,
    pub max_players: u32,
}

/// Finds and opens rooms.
pub trait Matchmaker: Send + Sync + 'static {
    /// The fullest open public room of `game` with a free seat, or a new one.
    fn quick(&self, game: &str) -> Result<RoomHandle, ErrorCode>;
    /// A new room of `game`.
    fn create(&self, game: &str, private: bool) -> Result<RoomHandle, ErrorCode>;
    /// The room with this code.
    fn find(&self, code: &str) -> Result<RoomHandle, ErrorCode>;
    /// The room of `game` for the Telegram chat `chat` (its `chat_instance`),
    /// opened as a private room on first use or when the last one closed.
    fn chat(&self, game: &str, chat: &str) -> Result<RoomHandle, ErrorCode>;
    /// Remembers that `player`'s dropped connection left a held seat in `room`.
    fn hold_seat(&self, player: &str, room: &RoomHandle);
    /// The room where `player` holds a seat since a dropped connection, if
    /// it is still open; forgets it.
    fn take_held_seat(&self, player: &str) -> Option<RoomHandle>;
    /// Public rooms, fullest first.
    fn public_rooms(&self) -> Vec<RoomSummary>;
    /// Number of open rooms.
    fn room_count(&self) -> usize;
}

/// Public rooms of one game with a free seat, fullest first.
type OpenRooms = BTreeSet<(Reverse<u32>, Arc<str>)>;

struct Entry {
    handle: RoomHandle,
    players: u32,
    /// The (game, chat) key of a chat's room.
    chat: Option<ChatKey>,
}

/// A game and a Telegram `chat_instance`.
type ChatKey = (String, String);

/// The room directory of one process.
pub struct LocalMatchmaker {
    catalog: Catalog,
    rooms: DashMap<Arc<str>, Entry>,
    /// Per game: public rooms with a free seat, fullest first.
    open: Mutex<HashMap<String, OpenRooms>>,
    /// The room code of each chat's room of a game.
    chats: DashMap<ChatKey, Arc<str>>,
    /// Player id -> room code of a seat held after a dropped connection.
    /// Bounded by the seats of open rooms: rooms release entries as seats
    /// are released and when they close.
    held: DashMap<Arc<str>, Arc<str>>,
    max_rooms: usize,
    context: OnceLock<RoomContext>,
}

impl LocalMatchmaker {
    /// A directory for `catalog`'s games holding at most `max_rooms` rooms.
    /// Rooms need a [`RoomContext`] whose directory is this matchmaker, so
    /// it is given afterwards with [`LocalMatchmaker::start`].
    pub fn new(catalog: Catalog, max_rooms: usize) -> Arc<Self> {
        Arc::new(LocalMatchmaker {
            catalog,
            rooms: DashMap::new(),
            open: Mutex::new(HashMap::new()),
            chats: DashMap::new(),
            held: DashMap::new(),
            max_rooms,
            context: OnceLock::new(),
        })
    }

    /// Sets the context rooms are opened with.
    pub fn start(&self, context: RoomContext) {
        let _ = self.context.set(context);
    }

    fn open_room(&self, game: &str, private: bool) -> Result<RoomHandle, ErrorCode> {
        self.open_room_for(game, private, None)
    }

    fn open_room_for(&self, game: &str, private: bool, chat: Option<ChatKey>) -> Result<RoomHandle, ErrorCode> {
        let game = self.catalog.get(game).ok_or(ErrorCode::NoSuchGame)?.clone();
        if self.rooms.len() >= self.max_rooms {
            return Err(ErrorCode::ServerFull);
        }
        let context = self.context.get().ok_or(ErrorCode::Internal)?.clone();
        loop {
            let code: Arc<str> = new_room_code().into();
            let dashmap::Entry::Vacant(slot) = self.rooms.entry(code.clone()) else {
                continue;
            };
            let handle = spawn_room(context, game, code.clone(), private);
            slot.insert(Entry {
                handle: handle.clone(),
                players: 0,
                chat,
            });
            if !private {
                self.index_update(
                    &handle.game.manifest().name,
                    &code,
                    None,
                    Some(0),
                    handle.game.manifest().max_players,
                );
            }
            return Ok(handle);
        }
    }

    fn index_update(&self, game: &str, code: &Arc<str>, old: Option<u32>, new: Option<u32>, max: u32) {
        let mut open = self.open.lock().expect("matchmaking index lock");
        let set = open.entry(game.to_owned()).or_default();
        if let Some(old) = old {
            set.remove(&(Reverse(old), code.clone()));
        }
        if let Some(new) = new.filter(|n| *n < max) {
            set.insert((Reverse(new), code.clone()));
        }
    }
}

impl Matchmaker for LocalMatchmaker {
    fn quick(&self, game: &str) -> Result<RoomHandle, ErrorCode> {
        if self.catalog.get(game).is_none() {
            return Err(ErrorCode::NoSuchGame);
        }
        let candidate = {
            let open = self.open.lock().expect("matchmaking index lock");
            open.get(game)
                .and_then(|set| set.iter().next().map(|(_, code)| code.clone()))
        };
        if let Some(code) = candidate {
            if let Some(entry) = self.rooms.get(&code) {
                if !entry.handle.is_closed() {
                    return Ok(entry.handle.clone());
                }
            }
        }
        self.open_room(game, false)
    }

    fn create(&self, game: &str, private: bool) -> Result<RoomHandle, ErrorCode> {
        self.open_room(game, private)
    }

    fn find(&self, code: &str) -> Result<RoomHandle, ErrorCode> {
        let code = code.to_ascii_uppercase();
        self.rooms
            .get(code.as_str())
            .map(|e| e.handle.clone())
            .ok_or(ErrorCode::NoSuchRoom)
    }

    fn chat(&self, game: &str, chat: &str) -> Result<RoomHandle, ErrorCode> {
        if self.catalog.get(game).is_none() {
            return Err(ErrorCode::NoSuchGame);
        }
        let key: ChatKey = (game.to_owned(), chat.to_owned());
        // The entry stays locked while a room is opened, so two players of
        // one chat arriving together get the same room.
        let mut slot = self.chats.entry(key.clone()).or_insert_with(|| Arc::from(""));
        if let Some(entry) = self.rooms.get(slot.value()) {
            if !entry.handle.is_closed() {
                return Ok(entry.handle.clone());
            }
        }
        match self.open_room_for(game, true, Some(key)) {
            Ok(handle) => {
                *slot = handle.code.clone();
                Ok(handle)
            }
            Err(code) => {
                drop(slot);
                self.chats
                    .remove_if(&(game.to_owned(), chat.to_owned()), |_, code| code.is_empty());
                Err(code)
            }
        }
    }

    fn hold_seat(&self, player: &str, room: &RoomHandle) {
        self.held.insert(player.into(), room.code.clone());
    }

    fn take_held_seat(&self, player: &str) -> Option<RoomHandle> {
        let (_, code) = self.held.remove(player)?;
        let entry = self.rooms.get(&code)?;
        (!entry.handle.is_closed()).then(|| entry.handle.clone())
    }

    fn public_rooms(&self) -> Vec<RoomSummary> {
        let mut rooms: Vec<RoomSummary> = self
            .rooms
            .iter()
            .filter(|e| !e.handle.private)
            .map(|e| RoomSummary {
                code: e.key().to_string(),
                game: e.handle.game.manifest().name.clone(),
                players: e.players,
                max_players: e.handle.game.manifest().max_players,
            })
            .collect();
        rooms.sort_by(|a, b| b.players.cmp(&a.players).then_with(|| a.code.cmp(&b.code)));
        rooms
    }

    fn room_count(&self) -> usize {
        self.rooms.len()
    }
}

impl Directory for LocalMatchmaker {
    fn seats_changed(&self, code: &str, players: u32) {
        let Some(mut entry) = self.rooms.get_mut(code) else {
            return;
        };
        let old = std::mem::replace(&mut entry.players, players);
        if !entry.handle.private {
            let manifest = entry.handle.game.manifest();
            let (game, max, code) = (manifest.name.clone(), manifest.max_players, entry.handle.code.clone());
            drop(entry);
            self.index_update(&game, &code, Some(old), Some(players), max);
        }
    }

    fn seat_released(&self, code: &str, player: &str) {
        self.held.remove_if(player, |_, held| &**held == code);
    }

    fn closed(&self, code: &str) {
        if let Some((code, entry)) = self.rooms.remove(code) {
            if let Some(key) = &entry.chat {
                self.chats.remove_if(key, |_, c| *c == code);
            }
            if !entry.handle.private {
                let manifest = entry.handle.game.manifest();
                self.index_update(&manifest.name, &code, Some(entry.players), None, manifest.max_players);
            }
        }
    }
}
