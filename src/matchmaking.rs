//! Matchmaking: finding or opening the room a player asked for.
//!
//! [`Matchmaker`] is the interface sessions use; [`LocalMatchmaker`] keeps
//! the room directory of this one process: rooms by code, the public rooms
//! with free seats, the room of each chat, and the seats held for players
//! whose connection dropped. Room codes are six characters
//! from an alphabet without look-alikes (no 0/O, 1/I), so they survive being
//! read aloud or typed from a screenshot.
//!
//! A six-character code is easy to guess among thousands of rooms, so a
//! private room (`create` with `private`) is joined only by its invite:
//! the code, a dash and a secret of [`INVITE_SECRET_LEN`] characters from
//! the same alphabet (80 bits). Public rooms and a chat's room are joined
//! by the code alone.
//!
//! ```
//! let code = parlor::matchmaking::new_room_code();
//! assert_eq!(code.len(), 6);
//! assert!(parlor::matchmaking::is_room_code(&code));
//! assert!(parlor::matchmaking::is_room_ref(&format!("{code}-23456789abcdefgh")));
//! ```

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use dashmap::DashMap;
use rand::RngExt;
use serde::Serialize;

use crate::catalog::Catalog;
use crate::protocol::{ErrorCode, Rid};
use crate::room::{spawn_room, ClientHandle, Directory, PlayerInfo, RoomContext, RoomHandle};

/// The characters of room codes: digits and capitals without 0, O, 1, I.
pub const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
/// Length of a room code.
pub const CODE_LEN: usize = 6;
/// Length of the secret in a private room's invite (16 characters of 5
/// bits each: 80 bits).
pub const INVITE_SECRET_LEN: usize = 16;

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
    s.len() == CODE_LEN && in_alphabet(s)
}

/// Whether `s` is a room code or a private room's invite (`CODE-SECRET`),
/// case-insensitive: what `join` takes.
pub fn is_room_ref(s: &str) -> bool {
    match s.split_once('-') {
        None => is_room_code(s),
        Some((code, secret)) => is_room_code(code) && secret.len() == INVITE_SECRET_LEN && in_alphabet(secret),
    }
}

fn in_alphabet(s: &str) -> bool {
    s.bytes().all(|b| CODE_ALPHABET.contains(&b.to_ascii_uppercase()))
}

/// A public room as listed by `GET /api/rooms`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RoomSummary {
    pub code: String,
    pub game: String,
    pub players: u32,
    pub max_players: u32,
    /// Its match has begun (its manifest's minimum seats were filled):
    /// lobbies offer to watch it.
    pub running: bool,
}

/// Finds and opens rooms.
pub trait Matchmaker: Send + Sync + 'static {
    /// The fullest open public room of `game` with a free seat, or a new
    /// one, with a seat reserved in it until the returned [`Pick`] is
    /// dropped: concurrent quick matches count each other's reservations,
    /// so they fill one room instead of opening one each.
    fn quick(&self, game: &str) -> Result<Pick, ErrorCode>;
    /// A new room of `game`.
    fn create(&self, game: &str, private: bool) -> Result<RoomHandle, ErrorCode>;
    /// The room a `join` names: by its code, or a private room by its
    /// invite only (else `no_such_room`, as for a code that does not exist).
    fn find(&self, room: &str) -> Result<RoomHandle, ErrorCode>;
    /// The room of `game` for the Telegram chat `chat` (its `chat_instance`),
    /// opened as a private room on first use or when the last one closed.
    fn chat(&self, game: &str, chat: &str) -> Result<RoomHandle, ErrorCode>;
    /// The open room of `game` for the chat `chat`, if there is one; unlike
    /// [`Matchmaker::chat`] it opens none (for `watch`).
    fn chat_room(&self, game: &str, chat: &str) -> Option<RoomHandle>;
    /// The room where `player` holds a seat since a dropped connection, if
    /// it is still open. Rooms record and release held seats themselves.
    fn held_seat(&self, player: &str) -> Option<RoomHandle>;
    /// Drops a room that refused a join because it has closed, before its
    /// task tells the directory, so the next pick does not return it.
    fn evict(&self, room: &RoomHandle);
    /// Public rooms, fullest first.
    fn public_rooms(&self) -> Vec<RoomSummary>;
    /// Number of open rooms.
    fn room_count(&self) -> usize;
}

/// A room picked by `quick`, and the seat reserved in it for the join.
pub struct Pick {
    pub room: RoomHandle,
    /// Releases the reservation when dropped (after the join, whatever its
    /// outcome).
    pub reservation: Box<dyn Send + Sync>,
}

/// Public rooms of one game with a free seat, fullest first, keyed by
/// seats taken or reserved.
type OpenRooms = BTreeSet<(Reverse<u32>, Arc<str>)>;

struct Entry {
    handle: RoomHandle,
    players: u32,
    /// Seats reserved by quick matches whose join is under way.
    reserved: u32,
    /// The (game, chat) key of a chat's room.
    chat: Option<ChatKey>,
}

impl Entry {
    /// The key of a public room in its game's [`OpenRooms`], if it has a
    /// seat neither taken nor reserved.
    fn open_key(&self) -> Option<(Reverse<u32>, Arc<str>)> {
        let taken = self.players + self.reserved;
        (!self.handle.private && taken < self.handle.game.manifest().max_players)
            .then(|| (Reverse(taken), self.handle.code.clone()))
    }
}

/// A seat reserved in a room by `quick`; released when dropped.
struct Reservation {
    directory: Arc<LocalDirectory>,
    code: Arc<str>,
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.directory
            .update(&self.code, |entry| entry.reserved = entry.reserved.saturating_sub(1));
    }
}

/// A game and a Telegram `chat_instance`.
pub type ChatKey = (String, String);

/// A room as a cluster names it before it runs: what
/// [`LocalMatchmaker::open_named`] opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedRoom {
    pub code: Arc<str>,
    pub game: String,
    pub private: bool,
    /// A private room's invite (`CODE-SECRET`).
    pub invite: Option<Arc<str>>,
    /// The (game, chat) of a chat's room.
    pub chat: Option<ChatKey>,
}

/// What a room's entry says of it now: what a cluster publishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomReport {
    pub room: NamedRoom,
    pub players: u32,
    pub max_players: u32,
}

/// The room directory of one process: what rooms report, and what
/// matchmaking reads.
#[derive(Default)]
pub struct LocalDirectory {
    rooms: DashMap<Arc<str>, Entry>,
    /// Per game: public rooms with a free seat, fullest first.
    open: Mutex<HashMap<String, OpenRooms>>,
    /// The room code of each chat's room of a game.
    chats: DashMap<ChatKey, Arc<str>>,
    /// Player id -> room code of a seat held after a dropped connection.
    /// Bounded by the seats of open rooms: rooms release entries as seats
    /// are released and when they close.
    held: DashMap<Arc<str>, Arc<str>>,
}

/// Matchmaking on one process: opens rooms of `catalog`'s games with a
/// [`RoomContext`] whose directory is its [`LocalDirectory`].
pub struct LocalMatchmaker {
    catalog: Catalog,
    directory: Arc<LocalDirectory>,
    context: RoomContext,
    max_rooms: usize,
}

impl LocalMatchmaker {
    /// Matchmaking for `catalog`'s games, holding at most `max_rooms`
    /// rooms; `context` makes the rooms' context around the directory
    /// they report to.
    pub fn new(catalog: Catalog, max_rooms: usize, context: impl FnOnce(Arc<dyn Directory>) -> RoomContext) -> Self {
        LocalMatchmaker::reporting_through(catalog, max_rooms, |directory| directory, context)
    }

    /// As [`LocalMatchmaker::new`], with rooms reporting to what `report`
    /// makes around the local directory (the cluster's directory, which
    /// passes every report on to it and publishes the room).
    pub fn reporting_through(
        catalog: Catalog,
        max_rooms: usize,
        report: impl FnOnce(Arc<LocalDirectory>) -> Arc<dyn Directory>,
        context: impl FnOnce(Arc<dyn Directory>) -> RoomContext,
    ) -> Self {
        let directory = Arc::new(LocalDirectory::default());
        let context = context(report(directory.clone()));
        LocalMatchmaker {
            catalog,
            directory,
            context,
            max_rooms,
        }
    }

    fn open_room(&self, game: &str, private: bool) -> Result<RoomHandle, ErrorCode> {
        let mut open = self.directory.open.lock().expect("matchmaking index lock");
        self.open_room_for(&mut open, game, private, None)
    }

    /// The room with this exact code on this process, if it is open.
    pub fn local_room(&self, code: &str) -> Option<RoomHandle> {
        let entry = self.directory.rooms.get(code)?;
        (!entry.handle.is_closed()).then(|| entry.handle.clone())
    }

    /// The room `room` as the cluster registered it (its code, whether it
    /// is private, its invite, the chat it is for), opened here unless it
    /// already is: a room placed on this node by another node's quick
    /// match opens when its first player arrives.
    pub fn open_named(&self, room: &NamedRoom) -> Result<RoomHandle, ErrorCode> {
        let game = self.catalog.get(&room.game).ok_or(ErrorCode::NoSuchGame)?.clone();
        let mut open = self.directory.open.lock().expect("matchmaking index lock");
        if let Some(entry) = self.directory.rooms.get(&*room.code) {
            return Ok(entry.handle.clone());
        }
        self.may_open_room()?;
        let chat = room.chat.clone();
        let chat_instance = chat.as_ref().map(|(_, chat)| Arc::from(chat.as_str()));
        let handle = spawn_room(
            self.context.clone(),
            game,
            room.code.clone(),
            room.private,
            room.invite.clone(),
            chat_instance,
        );
        let entry = Entry {
            handle: handle.clone(),
            players: 0,
            reserved: 0,
            chat: chat.clone(),
        };
        let key = entry.open_key();
        self.directory.rooms.insert(room.code.clone(), entry);
        if let Some(key) = key {
            open.entry(handle.game.manifest().name.clone()).or_default().insert(key);
        }
        drop(open);
        if let Some(chat) = chat {
            self.directory.chats.insert(chat, room.code.clone());
        }
        Ok(handle)
    }

    /// The directory rooms report to.
    pub fn directory(&self) -> &Arc<LocalDirectory> {
        &self.directory
    }

    /// The games this matchmaker opens rooms of.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Whether the server stops taking rooms (it is stopping).
    pub fn is_stopping(&self) -> bool {
        self.context.lifecycle.is_stopping()
    }

    /// `server_full` when this process holds `max_rooms` rooms (counted as
    /// a refusal by that limit) or is stopping.
    fn may_open_room(&self) -> Result<(), ErrorCode> {
        if self.context.lifecycle.is_stopping() {
            return Err(ErrorCode::ServerFull);
        }
        if self.directory.rooms.len() >= self.max_rooms {
            self.context.metrics.refused(crate::metrics::Limit::Rooms);
            return Err(ErrorCode::ServerFull);
        }
        Ok(())
    }

    /// Opens a room; `open` is the index, locked by the caller (the index
    /// lock is always taken before a room's entry).
    fn open_room_for(
        &self,
        open: &mut HashMap<String, OpenRooms>,
        game: &str,
        private: bool,
        chat: Option<ChatKey>,
    ) -> Result<RoomHandle, ErrorCode> {
        let game = self.catalog.get(game).ok_or(ErrorCode::NoSuchGame)?.clone();
        self.may_open_room()?;
        loop {
            let code: Arc<str> = new_room_code().into();
            let dashmap::Entry::Vacant(slot) = self.directory.rooms.entry(code.clone()) else {
                continue;
            };
            // A chat's room is found through its chat, and by code.
            let invite =
                (private && chat.is_none()).then(|| Arc::from(format!("{code}-{}", random_code(INVITE_SECRET_LEN))));
            let chat_instance = chat.as_ref().map(|(_, chat)| Arc::from(chat.as_str()));
            let handle = spawn_room(self.context.clone(), game, code.clone(), private, invite, chat_instance);
            let entry = Entry {
                handle: handle.clone(),
                players: 0,
                reserved: 0,
                chat,
            };
            let key = entry.open_key();
            slot.insert(entry);
            if let Some(key) = key {
                open.entry(handle.game.manifest().name.clone()).or_default().insert(key);
            }
            return Ok(handle);
        }
    }
}

impl LocalDirectory {
    /// What room `code`'s entry says now; `None` once it has closed.
    pub fn report(&self, code: &str) -> Option<RoomReport> {
        let entry = self.rooms.get(code)?;
        let manifest = entry.handle.game.manifest();
        Some(RoomReport {
            room: NamedRoom {
                code: entry.handle.code.clone(),
                game: manifest.name.clone(),
                private: entry.handle.private,
                invite: entry.handle.invite.clone(),
                chat: entry.chat.clone(),
            },
            players: entry.players,
            max_players: manifest.max_players,
        })
    }

    /// The codes of the open rooms.
    pub fn codes(&self) -> Vec<Arc<str>> {
        self.rooms.iter().map(|e| e.key().clone()).collect()
    }

    /// Every seat held after a dropped connection: (player, room code).
    pub fn held_seats(&self) -> Vec<(Arc<str>, Arc<str>)> {
        self.held.iter().map(|e| (e.key().clone(), e.value().clone())).collect()
    }

    /// Rooms open and players seated, summed over the rooms.
    pub fn load(&self) -> (usize, u64) {
        let players = self.rooms.iter().map(|e| u64::from(e.players)).sum();
        (self.rooms.len(), players)
    }

    /// Changes a room's entry and keeps the index in step. The index lock
    /// is taken first and held throughout, so a pick never sees a count
    /// between two changes.
    fn update(&self, code: &str, change: impl FnOnce(&mut Entry)) {
        let mut open = self.open.lock().expect("matchmaking index lock");
        self.update_locked(&mut open, code, change);
    }

    /// [`LocalDirectory::update`] for a caller holding the index lock.
    fn update_locked(&self, open: &mut HashMap<String, OpenRooms>, code: &str, change: impl FnOnce(&mut Entry)) {
        let Some(mut entry) = self.rooms.get_mut(code) else {
            return;
        };
        let before = entry.open_key();
        change(&mut entry);
        let after = entry.open_key();
        if before != after {
            let set = open.entry(entry.handle.game.manifest().name.clone()).or_default();
            if let Some(key) = before {
                set.remove(&key);
            }
            if let Some(key) = after {
                set.insert(key);
            }
        }
    }
}

impl Matchmaker for LocalMatchmaker {
    fn quick(&self, game: &str) -> Result<Pick, ErrorCode> {
        if self.catalog.get(game).is_none() {
            return Err(ErrorCode::NoSuchGame);
        }
        // Pick (or open) and reserve under the index lock: two quick
        // matches at the same moment see each other's reservation.
        let mut open = self.directory.open.lock().expect("matchmaking index lock");
        // The fullest room whose task is not closing (a closing one is
        // removed by its task; it is skipped meanwhile).
        let picked = open.get(game).and_then(|set| {
            set.iter().find_map(|(_, code)| {
                let entry = self.directory.rooms.get(code)?;
                (!entry.handle.is_closed()).then(|| entry.handle.clone())
            })
        });
        let room = match picked {
            Some(room) => room,
            None => self.open_room_for(&mut open, game, false, None)?,
        };
        self.directory
            .update_locked(&mut open, &room.code, |entry| entry.reserved += 1);
        drop(open);
        Ok(Pick {
            reservation: Box::new(Reservation {
                directory: self.directory.clone(),
                code: room.code.clone(),
            }),
            room,
        })
    }

    fn create(&self, game: &str, private: bool) -> Result<RoomHandle, ErrorCode> {
        self.open_room(game, private)
    }

    fn find(&self, room: &str) -> Result<RoomHandle, ErrorCode> {
        if !is_room_ref(room) {
            return Err(ErrorCode::NoSuchRoom);
        }
        let given = room.to_ascii_uppercase();
        let code = given.split('-').next().unwrap_or_default();
        let handle = self
            .directory
            .rooms
            .get(code)
            .map(|e| e.handle.clone())
            .ok_or(ErrorCode::NoSuchRoom)?;
        if handle.admits(&given) {
            Ok(handle)
        } else {
            Err(ErrorCode::NoSuchRoom)
        }
    }

    fn chat_room(&self, game: &str, chat: &str) -> Option<RoomHandle> {
        let code = self
            .directory
            .chats
            .get(&(game.to_owned(), chat.to_owned()))?
            .value()
            .clone();
        let entry = self.directory.rooms.get(&code)?;
        (!entry.handle.is_closed()).then(|| entry.handle.clone())
    }

    fn chat(&self, game: &str, chat: &str) -> Result<RoomHandle, ErrorCode> {
        if self.catalog.get(game).is_none() {
            return Err(ErrorCode::NoSuchGame);
        }
        let key: ChatKey = (game.to_owned(), chat.to_owned());
        // The entry stays locked while a room is opened, so two players of
        // one chat arriving together get the same room.
        let chats = &self.directory.chats;
        let mut slot = chats.entry(key.clone()).or_insert_with(|| Arc::from(""));
        if let Some(entry) = self.directory.rooms.get(slot.value()) {
            if !entry.handle.is_closed() {
                return Ok(entry.handle.clone());
            }
        }
        let opened = {
            let mut open = self.directory.open.lock().expect("matchmaking index lock");
            self.open_room_for(&mut open, game, true, Some(key))
        };
        match opened {
            Ok(handle) => {
                *slot = handle.code.clone();
                Ok(handle)
            }
            Err(code) => {
                drop(slot);
                chats.remove_if(&(game.to_owned(), chat.to_owned()), |_, code| code.is_empty());
                Err(code)
            }
        }
    }

    fn held_seat(&self, player: &str) -> Option<RoomHandle> {
        let code = self.directory.held.get(player)?.clone();
        let entry = self.directory.rooms.get(&code)?;
        (!entry.handle.is_closed()).then(|| entry.handle.clone())
    }

    fn evict(&self, room: &RoomHandle) {
        self.directory.closed(&room.code);
    }

    fn public_rooms(&self) -> Vec<RoomSummary> {
        let mut rooms: Vec<RoomSummary> = self
            .directory
            .rooms
            .iter()
            .filter(|e| !e.handle.private)
            .map(|e| RoomSummary {
                code: e.key().to_string(),
                game: e.handle.game.manifest().name.clone(),
                players: e.players,
                max_players: e.handle.game.manifest().max_players,
                running: e.players >= e.handle.game.manifest().min_players,
            })
            .collect();
        rooms.sort_by(|a, b| b.players.cmp(&a.players).then_with(|| a.code.cmp(&b.code)));
        rooms
    }

    fn room_count(&self) -> usize {
        self.directory.rooms.len()
    }
}

impl Directory for LocalDirectory {
    fn seats_changed(&self, code: &str, players: u32, _joined: Option<&str>) {
        self.update(code, |entry| entry.players = players);
    }

    fn seat_held(&self, code: &str, player: &str) {
        // Inserted while the room's entry is borrowed: `closed` removes the
        // entry first, so it either sees this seat or this sees no room.
        if let Some(entry) = self.rooms.get(code) {
            self.held.insert(player.into(), entry.handle.code.clone());
        }
    }

    fn seat_released(&self, code: &str, player: &str) {
        self.held.remove_if(player, |_, held| &**held == code);
    }

    fn closed(&self, code: &str) {
        let mut open = self.open.lock().expect("matchmaking index lock");
        if let Some((code, entry)) = self.rooms.remove(code) {
            if let Some(key) = entry.open_key() {
                if let Some(set) = open.get_mut(&entry.handle.game.manifest().name) {
                    set.remove(&key);
                }
            }
            drop(open);
            if let Some(key) = &entry.chat {
                self.chats.remove_if(key, |_, c| *c == code);
            }
            // A drop notice the room never handled (its connection closed
            // as the room ended) left its seat recorded here; with players
            // who never come back, such entries would pile up for good.
            self.held.retain(|_, held| *held != code);
        }
    }
}

/// What a player asked to be seated in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeatRequest {
    Quick {
        game: String,
    },
    Create {
        game: String,
        private: bool,
    },
    Join {
        code: String,
    },
    /// A game and the chat's `chat_instance`.
    Chat {
        game: String,
        chat: String,
    },
}

/// How many times `quick` and `chat` pick again after losing a race.
const SEAT_ATTEMPTS: usize = 3;

/// Seats `player` as `request` asks: picks or opens the room and joins it
/// (the room queues `joined`, echoing `rid`, to `client`). A quick match
/// can lose its seat to another player, and a quick or chat room can be
/// closing (its last player just left) between the pick and the join; both
/// pick again a few times. The error carries the message for the client.
pub async fn seat<M: Matchmaker + ?Sized>(
    matchmaker: &M,
    request: &SeatRequest,
    player: &PlayerInfo,
    client: &ClientHandle,
    rid: Option<Rid>,
) -> Result<RoomHandle, (ErrorCode, String)> {
    let retries = matches!(request, SeatRequest::Quick { .. } | SeatRequest::Chat { .. });
    let mut outcome = Err(ErrorCode::Internal);
    for _ in 0..if retries { SEAT_ATTEMPTS } else { 1 } {
        // A quick match's reservation lives until its join has an answer.
        let mut reservation = None;
        let room = match request {
            SeatRequest::Quick { game } => matchmaker.quick(game).map(|pick| {
                reservation = Some(pick.reservation);
                pick.room
            }),
            SeatRequest::Create { game, private } => matchmaker.create(game, *private),
            SeatRequest::Join { code } => matchmaker.find(code),
            SeatRequest::Chat { game, chat } => matchmaker.chat(game, chat),
        };
        outcome = match room {
            Ok(room) => join(matchmaker, room, player, client, rid).await,
            Err(code) => Err(code),
        };
        if !(retries && matches!(outcome, Err(ErrorCode::RoomFull | ErrorCode::NoSuchRoom))) {
            break;
        }
    }
    outcome.map_err(|code| refusal(request, code))
}

/// Seats `player` in `room`; a room that refuses because it has closed is
/// evicted, so the next pick does not return it.
pub async fn join<M: Matchmaker + ?Sized>(
    matchmaker: &M,
    room: RoomHandle,
    player: &PlayerInfo,
    client: &ClientHandle,
    rid: Option<Rid>,
) -> Result<RoomHandle, ErrorCode> {
    match room.join(player.clone(), client.clone(), rid).await {
        Ok(()) => Ok(room),
        Err(ErrorCode::NoSuchRoom) => {
            matchmaker.evict(&room);
            Err(ErrorCode::NoSuchRoom)
        }
        Err(code) => Err(code),
    }
}

/// The error a refused seat request gets: its code and the message for
/// the client.
pub fn refusal(request: &SeatRequest, code: ErrorCode) -> (ErrorCode, String) {
    let message = match (request, code) {
        (
            SeatRequest::Quick { game } | SeatRequest::Create { game, .. } | SeatRequest::Chat { game, .. },
            ErrorCode::NoSuchGame,
        ) => format!("no game named {game:?}"),
        (SeatRequest::Join { code }, ErrorCode::NoSuchRoom) => format!("no room with code {code:?}"),
        (_, ErrorCode::RoomFull) => "the room is full".to_owned(),
        (_, ErrorCode::ServerFull) => "this server holds as many rooms as it may, or is stopping".to_owned(),
        _ => "could not join the room".to_owned(),
    };
    (code, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::SqliteLedger;
    use crate::lifecycle::Lifecycle;
    use std::time::Duration;

    /// A held seat the room never handled (the room ended first) goes
    /// with the room.
    #[tokio::test]
    async fn a_closed_room_leaves_no_held_seat_behind() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Arc::new(SqliteLedger::open(dir.path()).await.unwrap());
        let catalog = crate::test_games::catalog();
        let matchmaker = LocalMatchmaker::new(catalog, 10, |directory| RoomContext {
            ledger,
            directory,
            lifecycle: Lifecycle::new(),
            inbox: 16,
            outbound_reserve: 8,
            unclaimed_grace: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(10),
            metrics: Arc::default(),
        });
        let room = matchmaker.create("pair", false).unwrap();
        let other = matchmaker.create("pair", false).unwrap();
        let directory = &matchmaker.directory;
        directory.seat_held(&room.code, "guest:gone");
        directory.seat_held(&other.code, "guest:away");
        assert!(matchmaker.held_seat("guest:gone").is_some());
        directory.closed(&room.code);
        assert!(matchmaker.held_seat("guest:gone").is_none());
        assert_eq!(directory.held.len(), 1, "the other room's held seat stays");
        // Once closed, nothing is recorded for the room any more.
        directory.seat_held(&room.code, "guest:late");
        assert_eq!(directory.held.len(), 1);
    }
}
