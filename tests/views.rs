//! What each client may see: a private component reaches its owner only,
//! an entity `VisibleTo` some players reaches them only, and a spectator
//! gets the public view; checked on the bytes each client received, in
//! `joined`, `patch` and `p`, after a reconnect and after a resync.

mod common;

use common::secrets::{self, Card, Face, Note, Secret};
use common::stall::{head, stall, within};
use common::{Client, Mirror, TestServer};
use serde_json::{json, Value};

/// A client and everything it received: the raw frames, and its mirror.
struct Seen {
    client: Client,
    frames: Vec<Vec<u8>>,
    mirror: Mirror,
}

impl Seen {
    fn new(client: Client) -> Seen {
        Seen {
            client,
            frames: Vec::new(),
            mirror: Mirror::default(),
        }
    }

    /// The next message, kept and applied to the mirror.
    async fn next(&mut self) -> Value {
        let bytes = self.client.frame().await.expect("the socket stays open");
        let message = self.mirror.apply_frame(&bytes).expect("server frames decode");
        self.frames.push(bytes);
        message
    }

    /// Reads until a message for which `done` holds; returns it.
    async fn until(&mut self, done: impl Fn(&Value, &Mirror) -> bool) -> Value {
        within(async {
            loop {
                let m = self.next().await;
                assert_ne!(m["t"], "error", "unexpected error: {m}");
                if done(&m, &self.mirror) {
                    return m;
                }
            }
        })
        .await
    }

    /// Reads until a patch (either format) of tick `tick` or later.
    async fn until_tick(&mut self, tick: u64) {
        self.until(|m, mirror| matches!(m["t"].as_str(), Some("patch" | "p")) && mirror.tick >= tick)
            .await;
    }

    /// Sends an input and reads until the patch that acknowledges it;
    /// returns that patch's tick.
    async fn act(&mut self, d: Value) -> u64 {
        let seq = self.client.input(d).await;
        self.until(|m, _| m["ack"] == seq || m["a"] == seq).await;
        self.mirror.tick
    }

    /// Whether any frame received so far holds `marker`'s bytes.
    fn saw(&self, marker: &str) -> bool {
        self.frames
            .iter()
            .any(|f| f.windows(marker.len()).any(|w| w == marker.as_bytes()))
    }
}

async fn secrets_server(extra: &str) -> TestServer {
    TestServer::start_with(|_| {}, Some(secrets::catalog(extra))).await
}

/// A guest signed in (compact patches if `compact`); returns the client
/// and its session token.
async fn guest(server: &TestServer, name: &str, compact: bool) -> (Seen, String) {
    let client = Client::hello(&server.ws_url(), json!({"guest": name, "compact": compact})).await;
    let mut seen = Seen::new(client);
    let welcome = seen.until(|m, _| m["t"] == "welcome").await;
    (seen, welcome["session"].as_str().unwrap().to_owned())
}

/// Whether the mirror holds a `Card` whose private `Face` reads `face`.
fn holds_face(mirror: &Mirror, face: &str) -> bool {
    mirror
        .all_as::<Face>()
        .iter()
        .any(|(id, f)| f.0 == face && mirror.component_as::<Card>(*id).is_some())
}

/// The text of every note the mirror holds.
fn notes(mirror: &Mirror) -> Vec<String> {
    let mut notes: Vec<String> = mirror.all_as::<Note>().into_iter().map(|(_, n)| n.0).collect();
    notes.sort();
    notes
}

/// Ann (plain `patch`) and Bob (compact `p`) share a room; Cleo watches.
/// Nothing private to one reaches another, through every change of who
/// may see what, a reconnect, and a spectator's join.
#[tokio::test]
async fn private_values_reach_their_owner_only() {
    let server = secrets_server("").await;
    let (mut ann, _) = guest(&server, "Ann", false).await;
    ann.client.send(json!({"t": "create", "game": "secrets"})).await;
    let code = ann.until(|m, _| m["t"] == "joined").await["room"].clone();
    let (mut bob, bob_session) = guest(&server, "Bob", true).await;
    bob.client.send(json!({"t": "join", "room": code})).await;
    bob.until(|m, _| m["t"] == "joined").await;
    // Each sees the other's badge once the seating tick is through.
    bob.until(|_, m| m.all_as::<Secret>().len() == 1 && notes(m).len() == 1)
        .await;
    ann.until(|_, m| m.with("Badge").len() == 2).await;

    // Own values arrive; the other's do not, neither in joined nor patches.
    assert!(ann.saw("SECRET-of-Ann") && ann.saw("FACE-of-Ann") && ann.saw("NOTE-for-Ann"));
    assert!(bob.saw("SECRET-of-Bob") && bob.saw("FACE-of-Bob") && bob.saw("NOTE-for-Bob"));
    assert!(
        ann.saw("badge-Bob") && bob.saw("badge-Ann"),
        "public values reach everyone"
    );
    for marker in ["SECRET-of-Bob", "FACE-of-Bob", "NOTE-for-Bob"] {
        assert!(!ann.saw(marker), "Ann received {marker}");
    }
    for marker in ["SECRET-of-Ann", "FACE-of-Ann", "NOTE-for-Ann"] {
        assert!(!bob.saw(marker), "Bob received {marker}");
    }
    // Bob knows Ann's card exists (its public part) but not its face.
    assert_eq!(bob.mirror.all_as::<Card>().len(), 2);
    assert_eq!(bob.mirror.all_as::<Face>().len(), 1);

    // A changed secret goes to its owner only.
    let at = ann.act(json!({"secret": "SECRET-of-Ann-2"})).await;
    bob.until_tick(at).await;
    assert!(ann.saw("SECRET-of-Ann-2"));
    assert!(!bob.saw("SECRET-of-Ann"));

    // Ann gives her card to Bob (seat 1): its face moves with its owner.
    let at = ann.act(json!({"give": 1})).await;
    bob.until_tick(at).await;
    assert!(holds_face(&bob.mirror, "FACE-of-Ann"), "the new owner sees the face");
    assert!(
        !holds_face(&ann.mirror, "FACE-of-Ann"),
        "the old owner's face was removed"
    );
    assert_eq!(ann.mirror.all_as::<Card>().len(), 2, "the card itself stays public");

    // Ann's note: shown to all, then hidden again (gone for Bob).
    let at = ann.act(json!("reveal")).await;
    bob.until_tick(at).await;
    assert_eq!(notes(&bob.mirror), ["NOTE-for-Ann", "NOTE-for-Bob"]);
    let at = ann.act(json!("hide")).await;
    bob.until_tick(at).await;
    assert_eq!(notes(&bob.mirror), ["NOTE-for-Bob"], "a hidden entity is gone for Bob");
    assert_eq!(notes(&ann.mirror), ["NOTE-for-Ann"]);

    // A spectator: the public view only.
    let (mut cleo, _) = guest(&server, "Cleo", true).await;
    cleo.client.send(json!({"t": "watch", "room": code})).await;
    let joined = cleo.until(|m, _| m["t"] == "joined").await;
    assert_eq!(
        (joined["you"].clone(), joined["watching"].clone()),
        (Value::Null, json!(true))
    );
    let at = ann.act(json!({"secret": "SECRET-of-Ann-3"})).await;
    cleo.until_tick(at).await;
    assert_eq!(cleo.mirror.with("Badge").len(), 2);
    assert_eq!(cleo.mirror.all_as::<Card>().len(), 2);
    for marker in ["SECRET-", "FACE-", "NOTE-"] {
        assert!(!cleo.saw(marker), "the spectator received {marker}");
    }

    // Bob's connection drops; he resumes: his own values, and the face he
    // was given, none of Ann's.
    drop(bob);
    let client = Client::hello(&server.ws_url(), json!({"session": bob_session, "compact": true})).await;
    let mut bob = Seen::new(client);
    bob.until(|m, _| m["t"] == "joined").await;
    assert!(bob.saw("SECRET-of-Bob") && bob.saw("FACE-of-Ann") && bob.saw("FACE-of-Bob"));
    assert!(!bob.saw("SECRET-of-Ann") && !bob.saw("NOTE-for-Ann"));

    // Burning the hidden note: only Ann, who saw it, is told it is gone.
    let at = ann.act(json!("burn")).await;
    bob.until_tick(at).await;
    cleo.until_tick(at).await;
    assert!(notes(&ann.mirror).is_empty());
    assert_eq!(notes(&bob.mirror), ["NOTE-for-Bob"]);
    assert!(!ann.saw("SECRET-of-Bob") && !ann.saw("NOTE-for-Bob"));
}

/// Outbound queue of the server with a stalled client.
const QUEUE: usize = 8;

/// A client that fell behind is resynced with a `joined` of its own view:
/// its secrets, not the other player's.
#[tokio::test]
async fn a_resync_carries_only_what_the_client_may_see() {
    let server = TestServer::start_with(
        |c| {
            c.limits.outbound_queue = QUEUE;
            c.limits.outbound_reserve = 2;
            c.limits.write_timeout_secs = 120;
        },
        Some(secrets::catalog("tick_rate = 60\n[settings]\nnoise = 60000")),
    )
    .await;
    // The stalled client is "Slow"; the one that opened the room, "Watcher".
    let (_watcher, mut slow, _) = stall(
        &server,
        json!({"t": "create", "game": "secrets", "private": true}),
        QUEUE,
    )
    .await;
    let resync = within(async {
        let mut frames = Vec::new();
        loop {
            let (h, _, bytes) = head(&mut slow).await;
            let done = h.t == "joined";
            frames.push(bytes);
            if done {
                return frames;
            }
        }
    })
    .await;
    let has = |bytes: &[u8], marker: &str| bytes.windows(marker.len()).any(|w| w == marker.as_bytes());
    let joined = resync.last().unwrap();
    assert!(has(joined, "SECRET-of-Slow") && has(joined, "FACE-of-Slow"));
    assert!(has(joined, "badge-Watcher"));
    for frame in &resync {
        assert!(!has(frame, "SECRET-of-Watcher") && !has(frame, "NOTE-for-Watcher"));
    }
}
