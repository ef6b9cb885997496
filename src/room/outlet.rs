//! A connection's socket as its rooms write to it: the one way a client's
//! bytes go out, shared by its session and the rooms it is in.
//!
//! Fan-out writes each member's patch straight to the member's socket from
//! the room's task: one non-blocking vectored write of the websocket
//! header, the room's shared patch bytes and the member's ack. No queue,
//! no wake-up of the connection's task, no copy. The connection's task
//! writes everything else (its replies, the rooms' other frames, patches
//! that could not go straight) through the same outlet, and is woken only
//! for bytes the socket did not take, the backlog. The order of the bytes
//! stays the order things were sent:
//!
//! - a room writes straight only while nothing is queued for the client
//!   and nothing waits in the backlog, and only for the stay (room visit)
//!   the connection is in; otherwise the patch is queued as before, behind
//!   what came first;
//! - the connection writes under the same lock, and counts a queued item
//!   as pending until it is written.
//!
//! Every bound still holds while a peer stops reading: the connection
//! takes nothing more from its queue while the backlog holds
//! [`DRAIN_LIMIT`] bytes, so the queue fills and its rooms skip, resync
//! and kick the client as they did; control frames (pongs, the close) may
//! add up to the outlet's cap, and past it the connection ends.

use std::io::{self, IoSlice};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tungstenite::protocol::frame::coding::{Data, OpCode};
use tungstenite::protocol::frame::FrameHeader;

use crate::protocol::frames::AckedPatch;
use crate::protocol::PatchForm;

/// Backlog bytes past which the connection takes nothing more from its
/// queue: the size of the websocket write buffer this replaced.
pub const DRAIN_LIMIT: usize = 128 * 1024;
/// The longest websocket frame header a server writes (unmasked).
const MAX_HEADER: usize = 10;

/// Why the outlet stopped writing.
#[derive(Debug, PartialEq, Eq)]
pub enum Stalled {
    /// The socket failed: the peer is gone.
    Failed,
    /// The peer took nothing for the whole write timeout.
    TimedOut,
}

/// A connection's socket and what waits to be written to it; see the
/// module documentation.
///
/// # Example
///
/// ```no_run
/// # async fn demo(stream: tokio::net::TcpStream) {
/// use parlor::protocol::PatchForm;
/// use parlor::room::Outlet;
///
/// let outlet = Outlet::new(stream, 1 << 20);
/// // The connection entered the room it knows as stay 1.
/// outlet.open_to(Some(1));
/// // A lean `p` without an ack: the room's shared bytes are the frame.
/// let prefix = [0x81, 0xa1, b't', 0xa1, b'p'];
/// // Nothing is queued for the client, so the room writes it straight.
/// assert_eq!(outlet.write_patch(1, PatchForm::Lean, &prefix, None), Some(5));
/// // The room of an earlier stay may not.
/// assert_eq!(outlet.write_patch(0, PatchForm::Lean, &prefix, None), None);
/// # }
/// ```
#[derive(Debug)]
pub struct Outlet {
    socket: TcpStream,
    state: Mutex<Backlog>,
    /// Items queued for the connection, or taken from its queue and not yet
    /// written: while any are, rooms queue their patches behind them.
    pending: AtomicUsize,
    /// Wakes the connection's task to write the backlog.
    backlogged: Notify,
    /// Bytes the backlog may hold at all (`limits.write_buffer_max_bytes`).
    cap: usize,
}

/// The part of an outlet behind its lock.
#[derive(Debug, Default)]
struct Backlog {
    /// The stay whose room may write straight: the room visit the
    /// connection is in, none outside a room or once it is closing.
    stay: Option<u16>,
    /// Bytes the socket has not taken yet, in order.
    bytes: BytesMut,
    /// Since when the backlog has waited without the socket taking a byte.
    stalled_since: Option<Instant>,
    /// The socket failed; nothing more is written.
    failed: bool,
}

impl Outlet {
    /// The outlet of a websocket connection over `socket`, whose backlog
    /// may hold `cap` bytes.
    pub fn new(socket: TcpStream, cap: usize) -> Arc<Outlet> {
        Arc::new(Outlet {
            socket,
            state: Mutex::default(),
            pending: AtomicUsize::new(0),
            backlogged: Notify::new(),
            cap: cap.max(DRAIN_LIMIT),
        })
    }

    /// The socket, for reading.
    pub fn socket(&self) -> &TcpStream {
        &self.socket
    }

    fn lock(&self) -> MutexGuard<'_, Backlog> {
        // Nothing panics while holding the lock; a poisoned one still
        // holds consistent bytes.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Lets the room of `stay` write straight to the socket (the
    /// connection entered it), or no room (`None`: it left, or is closing).
    pub fn open_to(&self, stay: Option<u16>) {
        self.lock().stay = stay;
    }

    /// An item is about to be queued for the connection.
    pub fn queuing(&self) {
        self.pending.fetch_add(1, Ordering::AcqRel);
    }

    /// An item counted by [`Outlet::queuing`] was not queued after all.
    pub fn not_queued(&self) {
        self.pending.fetch_sub(1, Ordering::AcqRel);
    }

    /// Writes a patch for a client of `form` in `stay` straight to the
    /// socket, if it may go now (see the module documentation); returns the
    /// frame's length, or `None` if it must be queued instead.
    pub fn write_patch(&self, stay: u16, form: PatchForm, prefix: &[u8], ack: Option<u32>) -> Option<usize> {
        if self.pending.load(Ordering::Acquire) != 0 {
            return None;
        }
        // The connection is writing: queue rather than wait for it.
        let mut state = self.state.try_lock().ok()?;
        let clear = state.stay == Some(stay) && state.bytes.is_empty() && !state.failed;
        if !clear || self.pending.load(Ordering::Acquire) != 0 {
            return None;
        }
        let patch = AckedPatch::new(form, prefix, ack);
        let mut head = [0u8; MAX_HEADER + 1];
        let mut at = header(patch.len(), &mut head);
        if let Some(lead) = patch.lead {
            head[at] = lead;
            at += 1;
        }
        let parts = [
            IoSlice::new(&head[..at]),
            IoSlice::new(patch.rest),
            IoSlice::new(patch.ack()),
        ];
        let _ = self.write_locked(&mut state, &parts);
        Some(patch.len())
    }

    /// Writes whole frames (each given its websocket header) from the
    /// connection's queue, then counts `taken` queued items written (the
    /// frames and the stale items it dropped). Fails once the socket has.
    pub fn write_frames(&self, frames: &[Bytes], taken: usize) -> Result<(), Stalled> {
        let mut heads = [[0u8; MAX_HEADER]; WRITE_SLICES / 2];
        let mut state = self.lock();
        let mut result = Ok(());
        for chunk in frames.chunks(WRITE_SLICES / 2) {
            let mut lens = [0usize; WRITE_SLICES / 2];
            for (i, frame) in chunk.iter().enumerate() {
                lens[i] = header(frame.len(), &mut heads[i]);
            }
            let parts: Vec<IoSlice> = chunk
                .iter()
                .enumerate()
                .flat_map(|(i, frame)| [IoSlice::new(&heads[i][..lens[i]]), IoSlice::new(frame)])
                .collect();
            result = self.write_locked(&mut state, &parts);
            if result.is_err() {
                break;
            }
        }
        self.pending.fetch_sub(taken, Ordering::AcqRel);
        result
    }

    /// Writes bytes tungstenite framed itself (pongs, pings, the close);
    /// fails past the cap, or once the socket has.
    pub fn write_raw(&self, bytes: &[u8]) -> io::Result<()> {
        let mut state = self.lock();
        if state.bytes.len() + bytes.len() > self.cap {
            return Err(io::Error::other("the websocket write buffer is full"));
        }
        self.write_locked(&mut state, &[IoSlice::new(bytes)])
            .map_err(|_| io::ErrorKind::BrokenPipe.into())
    }

    /// Bytes waiting for the socket.
    pub fn backlog(&self) -> usize {
        self.lock().bytes.len()
    }

    /// Writes `parts` after the backlog: straight to the socket when
    /// nothing waits, and whatever it does not take into the backlog.
    fn write_locked(&self, state: &mut Backlog, parts: &[IoSlice]) -> Result<(), Stalled> {
        if state.failed {
            return Err(Stalled::Failed);
        }
        let mut written = 0;
        if state.bytes.is_empty() {
            match self.socket.try_write_vectored(parts) {
                Ok(n) => written = n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(_) => {
                    state.failed = true;
                    self.backlogged.notify_one();
                    return Err(Stalled::Failed);
                }
            }
        }
        let total: usize = parts.iter().map(|p| p.len()).sum();
        if written < total {
            for part in parts {
                let skip = written.min(part.len());
                written -= skip;
                state.bytes.extend_from_slice(&part[skip..]);
            }
            state.stalled_since.get_or_insert_with(Instant::now);
            self.backlogged.notify_one();
        }
        Ok(())
    }

    /// Waits for a backlog, then writes it as the socket takes it, until it
    /// is empty. Fails when the socket failed, or took nothing for
    /// `patience` (counted from when it last took bytes, so a caller that
    /// drops this future and calls again does not restart the clock).
    pub async fn write_backlog(&self, patience: Duration) -> Result<(), Stalled> {
        // One look under the lock: the connection's loop calls this on
        // every pass.
        let idle = {
            let state = self.lock();
            state.bytes.is_empty() && !state.failed
        };
        if idle {
            self.backlogged.notified().await;
        }
        self.write_out(patience).await
    }

    /// Writes the backlog until it is empty; fails as
    /// [`Outlet::write_backlog`] does.
    pub async fn write_out(&self, patience: Duration) -> Result<(), Stalled> {
        loop {
            let since = {
                let state = self.lock();
                if state.failed {
                    return Err(Stalled::Failed);
                }
                match state.stalled_since {
                    None => return Ok(()),
                    Some(since) => since,
                }
            };
            let deadline = tokio::time::Instant::from_std(since + patience);
            match tokio::time::timeout_at(deadline, self.socket.writable()).await {
                Err(_) => return Err(Stalled::TimedOut),
                Ok(Err(_)) => {
                    self.lock().failed = true;
                    return Err(Stalled::Failed);
                }
                Ok(Ok(())) => self.write_some()?,
            }
        }
    }

    /// Writes what the socket takes of the backlog now.
    fn write_some(&self) -> Result<(), Stalled> {
        let mut state = self.lock();
        while !state.bytes.is_empty() {
            match self.socket.try_write(&state.bytes) {
                Ok(n) => {
                    let _ = state.bytes.split_to(n);
                    state.stalled_since = Some(Instant::now());
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(_) => {
                    state.failed = true;
                    return Err(Stalled::Failed);
                }
            }
        }
        state.stalled_since = None;
        // Give the emptied buffer's memory back: a burst should not cost a
        // quiet connection for the rest of its life.
        if state.bytes.capacity() > DRAIN_LIMIT {
            state.bytes = BytesMut::new();
        }
        Ok(())
    }
}

/// Slices in one vectored write of queued frames (header and body each).
const WRITE_SLICES: usize = 64;

/// Writes the header of an unmasked, final binary websocket frame of `len`
/// bytes into `out`; returns its length.
fn header(len: usize, out: &mut [u8]) -> usize {
    let head = FrameHeader {
        opcode: OpCode::Data(Data::Binary),
        ..FrameHeader::default()
    };
    let room = out.len();
    let mut cursor = &mut out[..];
    // MAX_HEADER bytes hold any length's header.
    let _ = head.format(len as u64, &mut cursor);
    room - cursor.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_headers_are_the_websocket_length_forms() {
        let head = |len| {
            let mut out = [0u8; MAX_HEADER];
            let n = header(len, &mut out);
            out[..n].to_vec()
        };
        assert_eq!(head(5), [0x82, 5]);
        assert_eq!(head(125), [0x82, 125]);
        assert_eq!(head(126), [0x82, 126, 0, 126]);
        assert_eq!(head(70_000), [0x82, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70]);
    }
}
