//! The floor for the load comparison: the least a websocket server can
//! spend on this machine to deliver `parlor load`'s traffic. It measures the
//! kernel (loopback TCP, epoll) and the websocket protocol, not an engine:
//! no game, no runtime, no task per socket, no lock, one thread.
//!
//! It serves the same traffic as the raw baseline (raw_baseline.rs), byte
//! for byte: `welcome` on `hello`, `joined` on `create`/`join`/`quick`, then
//! a `patch` of `--frame-bytes` bytes at `--rate` Hz carrying the highest
//! input `seq` seen as `ack`. It is one mio event loop over non-blocking
//! sockets:
//! - one `read` per readiness event (a second only when the first filled
//!   the 64 KiB buffer, so that no edge is missed), parsing whole client
//!   frames from what is there;
//! - on each tick, for each client in a room, the ack written in place into
//!   one pre-encoded frame (websocket header and payload) and one `write` of
//!   it. A client whose socket would not take the whole frame keeps the
//!   rest, and gets no patch until the socket has taken it (the patches of
//!   that time are dropped, not queued); one that lets over 64 KiB of
//!   replies pile up is closed.
//!
//! What it leaves out, which a real server could not: HTTP routing (any path upgrades),
//! `Sec-WebSocket-Version` and origin checks, extensions and subprotocols,
//! fragmented messages (a continuation frame closes the socket), frames over
//! 16 KiB, UTF-8 checks, and a closing handshake beyond echoing `close`.
//! Text frames are ignored, as the raw baseline ignores them. All clients
//! share one timer, so their patches leave in one burst per tick.
//!
//! `cargo run --release --bin floor -- --bind 127.0.0.1:9101 --frame-bytes 154`

use std::io::{self, ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use clap::Parser;
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "127.0.0.1:9101")]
    bind: SocketAddr,
    /// Size of each patch frame's payload
    #[arg(long, default_value_t = 154)]
    frame_bytes: usize,
    /// Patches per second per client
    #[arg(long, default_value_t = 20.0)]
    rate: f64,
}

const LISTENER: Token = Token(usize::MAX);
/// The read buffer; a read that fills it is followed by another.
const READ_BUFFER: usize = 64 * 1024;
/// The largest request head or client frame taken.
const MAX_INPUT: usize = 16 * 1024;
/// The most a client may leave unsent before it is closed.
const MAX_PENDING: usize = 64 * 1024;

#[path = "baseline/protocol.rs"]
mod protocol;

use protocol::patch_prefix;

/// A server frame (final, unmasked) of `opcode` around `payload`.
fn server_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut frame = Vec::with_capacity(payload.len() + 10);
    frame.push(0x80 | opcode);
    match payload.len() {
        n if n < 126 => frame.push(n as u8),
        n if n <= 0xffff => {
            frame.push(126);
            frame.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            frame.push(127);
            frame.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    frame.extend_from_slice(payload);
    frame
}

/// The head of the client frame `buf` starts with: its first byte (FIN and
/// opcode), where its payload starts and how long it is. `Ok(None)` while
/// the frame is incomplete; `Err` for an unmasked or oversized frame.
fn frame_head(buf: &[u8]) -> Result<Option<(u8, usize, usize)>, ()> {
    if buf.len() < 2 {
        return Ok(None);
    }
    if buf[1] & 0x80 == 0 {
        return Err(());
    }
    let (len, at) = match buf[1] & 0x7f {
        126 if buf.len() >= 4 => (u64::from(u16::from_be_bytes([buf[2], buf[3]])), 4),
        127 if buf.len() >= 10 => (u64::from_be_bytes(buf[2..10].try_into().expect("8 bytes")), 10),
        126 | 127 => return Ok(None),
        n => (u64::from(n), 2),
    };
    if len > MAX_INPUT as u64 {
        return Err(());
    }
    let (start, len) = (at + 4, len as usize);
    Ok((buf.len() >= start + len).then_some((buf[0], start, len)))
}

/// One client: its socket and what is waiting in either direction.
struct Conn {
    stream: TcpStream,
    /// Read and not yet parsed: the request head, then a partial frame.
    input: Vec<u8>,
    upgraded: bool,
    /// In a room: gets a patch every tick.
    playing: bool,
    ack: u32,
    /// What the socket would not take yet; written before anything else.
    pending: Vec<u8>,
}

impl Conn {
    /// Writes `bytes` after what is pending, keeping what the socket does
    /// not take. False when the socket is to be closed.
    fn send(&mut self, bytes: &[u8]) -> bool {
        if self.pending.is_empty() {
            match self.stream.write(bytes) {
                Ok(n) => self.pending.extend_from_slice(&bytes[n..]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => self.pending.extend_from_slice(bytes),
                Err(_) => return false,
            }
        } else {
            self.pending.extend_from_slice(bytes);
        }
        self.pending.len() <= MAX_PENDING
    }

    /// One write of what is pending, on a writable event.
    fn flush(&mut self) -> bool {
        if self.pending.is_empty() {
            return true;
        }
        match self.stream.write(&self.pending) {
            Ok(n) => {
                self.pending.drain(..n);
                true
            }
            Err(e) => e.kind() == ErrorKind::WouldBlock,
        }
    }

    /// One read (more only if it filled `buf`) and what it completes.
    fn read(&mut self, buf: &mut [u8], rooms: &mut u64) -> bool {
        loop {
            match self.stream.read(buf) {
                Ok(0) => return false,
                Ok(n) => {
                    self.input.extend_from_slice(&buf[..n]);
                    if !self.parse(rooms) {
                        return false;
                    }
                    if n < buf.len() {
                        return true;
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return true,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
    }

    /// Answers the request head, then each whole frame in `input`.
    fn parse(&mut self, rooms: &mut u64) -> bool {
        let mut input = std::mem::take(&mut self.input);
        let mut at = 0;
        if !self.upgraded {
            let Some(end) = input.windows(4).position(|w| w == b"\r\n\r\n") else {
                self.input = input;
                return self.input.len() <= MAX_INPUT;
            };
            let head = String::from_utf8_lossy(&input[..end]);
            let key = head.lines().find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.trim()
                    .eq_ignore_ascii_case("sec-websocket-key")
                    .then(|| value.trim())
            });
            let Some(key) = key else {
                self.send(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
                return false;
            };
            let response = format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 Sec-WebSocket-Accept: {}\r\n\r\n",
                derive_accept_key(key.as_bytes())
            );
            if !self.send(response.as_bytes()) {
                return false;
            }
            self.upgraded = true;
            at = end + 4;
        }
        let open = loop {
            let (first, start, len) = match frame_head(&input[at..]) {
                Ok(Some(head)) => head,
                Ok(None) => break true,
                Err(()) => break false,
            };
            let (start, end) = (at + start, at + start + len);
            let mask = [input[start - 4], input[start - 3], input[start - 2], input[start - 1]];
            for (i, byte) in input[start..end].iter_mut().enumerate() {
                *byte ^= mask[i % 4];
            }
            at = end;
            let payload = &input[start..end];
            let reply = match (first & 0x80 != 0, first & 0x0f) {
                (true, 0x2) => self.answer(payload, rooms),
                (true, 0x1 | 0xa) => None,
                (true, 0x9) if len <= 125 => Some(server_frame(0xa, payload)),
                (true, 0x8) => {
                    self.send(&server_frame(0x8, &payload[..len.min(2)]));
                    break false;
                }
                _ => break false,
            };
            if let Some(reply) = reply {
                if !self.send(&reply) {
                    break false;
                }
            }
        };
        input.drain(..at);
        self.input = input;
        open
    }

    /// The frame answering one client message (the baselines' protocol).
    fn answer(&mut self, payload: &[u8], rooms: &mut u64) -> Option<Vec<u8>> {
        let (reply, entered) = protocol::answer(payload, &mut self.ack, || {
            *rooms += 1;
            *rooms - 1
        });
        self.playing |= entered;
        reply.map(|message| server_frame(0x2, &message))
    }
}

fn main() -> io::Result<()> {
    let args = Args::parse();
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let mut payload = patch_prefix(args.frame_bytes);
    rmp::encode::write_str(&mut payload, "ack").expect("vec");
    rmp::encode::write_u32(&mut payload, 0).expect("vec");
    let mut patch = server_frame(0x2, &payload);
    let ack_at = patch.len() - 4;
    let period = Duration::from_secs_f64(1.0 / args.rate);

    let mut poll = Poll::new()?;
    let mut listener = TcpListener::bind(args.bind)?;
    poll.registry().register(&mut listener, LISTENER, Interest::READABLE)?;
    eprintln!(
        "floor serving on ws://{}/ ({} byte patches at {} Hz, one thread)",
        listener.local_addr()?,
        payload.len(),
        args.rate
    );
    let mut conns: Vec<Option<Conn>> = Vec::new();
    let mut free: Vec<usize> = Vec::new();
    let mut closed: Vec<usize> = Vec::new();
    let mut events = Events::with_capacity(1024);
    let mut buf = vec![0u8; READ_BUFFER];
    let mut rooms = 0u64;
    let mut next_tick = Instant::now() + period;
    loop {
        let now = Instant::now();
        if now >= next_tick {
            for (i, conn) in conns.iter_mut().enumerate() {
                let Some(conn) = conn.as_mut().filter(|c| c.playing && c.pending.is_empty()) else {
                    continue;
                };
                patch[ack_at..].copy_from_slice(&conn.ack.to_be_bytes());
                match conn.stream.write(&patch) {
                    Ok(n) => conn.pending.extend_from_slice(&patch[n..]),
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {} // dropped
                    Err(_) => closed.push(i),
                }
            }
            next_tick += period;
            if next_tick <= now {
                // Late ticks are skipped, not caught up.
                next_tick = now + period;
            }
        } else {
            match poll.poll(&mut events, Some(next_tick - now)) {
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                result => result?,
            }
            for event in &events {
                if event.token() == LISTENER {
                    while let Ok((mut stream, _)) = listener.accept() {
                        let _ = stream.set_nodelay(true);
                        let i = free.pop().unwrap_or(conns.len());
                        let interest = Interest::READABLE | Interest::WRITABLE;
                        if poll.registry().register(&mut stream, Token(i), interest).is_err() {
                            if i < conns.len() {
                                free.push(i);
                            }
                            continue;
                        }
                        let conn = Conn {
                            stream,
                            input: Vec::new(),
                            upgraded: false,
                            playing: false,
                            ack: 0,
                            pending: Vec::new(),
                        };
                        match conns.get_mut(i) {
                            Some(slot) => *slot = Some(conn),
                            None => conns.push(Some(conn)),
                        }
                    }
                    continue;
                }
                let i = event.token().0;
                let Some(conn) = conns.get_mut(i).and_then(Option::as_mut) else {
                    continue;
                };
                let mut open = true;
                if event.is_readable() || event.is_read_closed() || event.is_error() {
                    open = conn.read(&mut buf, &mut rooms);
                }
                if open && event.is_writable() {
                    open = conn.flush();
                }
                if !open {
                    closed.push(i);
                }
            }
        }
        for i in closed.drain(..) {
            if let Some(mut conn) = conns[i].take() {
                let _ = poll.registry().deregister(&mut conn.stream);
                free.push(i);
            }
        }
    }
}
