//! Replays over the real path: matches recorded by a server on a SQLite
//! ledger, run again from that ledger (what `parlor replay` does), played
//! back to a spectator over a websocket (`watch {replay}`), refused when
//! the recording was changed after the match was signed, and a game that
//! draws outside its `MatchRng` caught diverging.

mod common;

use common::{Client, TestServer};
use parlor::catalog::Catalog;
use parlor::manifest::Manifest;
use parlor::prelude::*;
use parlor::replay::{CheckError, LoadError};
use parlor::room::Step;
use serde::Deserialize;
use serde_json::{json, Value};

/// Arena with one-second rounds, recorded.
const ARENA: &str = r#"
name = "arena"
min_players = 1
max_players = 8
tick_rate = 20
match_seconds = 1
continuous = true
record = true

[settings]
field = 200.0
speed = 200.0
orbs = 30
reach = 20.0
"#;

/// Steers until the room's next `result`, which it returns.
async fn steer_until_result(client: &mut Client, dx: f64) -> Value {
    client.input(json!({"dx": dx, "dy": 0.5})).await;
    loop {
        let m = client.recv().await;
        if m["t"] == "result" {
            return m;
        }
    }
}

#[tokio::test]
async fn a_continuous_rooms_second_round_replays_from_its_first_and_plays_back_to_a_spectator() {
    let server = TestServer::with_manifests(&[("arena", ARENA)]).await;
    let (mut ann, _) = Client::guest(&server.ws_url(), "Ann").await;
    ann.send(json!({"t": "create", "game": "arena"})).await;
    let code = ann.expect("joined").await["room"].as_str().unwrap().to_owned();
    let (mut bob, _) = Client::guest(&server.ws_url(), "Bob").await;
    bob.send(json!({"t": "join", "room": code})).await;
    bob.expect("joined").await;
    bob.input(json!({"dx": -1.0, "dy": 0.0})).await;
    let first = steer_until_result(&mut ann, 1.0).await;

    // Round 2: Bob's connection drops (his seat is held, offline), Cy
    // takes a seat, Ann steers another way.
    drop(bob);
    let (mut cy, _) = Client::guest(&server.ws_url(), "Cy").await;
    cy.send(json!({"t": "join", "room": code})).await;
    cy.expect("joined").await;
    cy.input(json!({"dx": 0.0, "dy": -1.0})).await;
    let second = steer_until_result(&mut ann, -0.5).await;

    // The second round's recording has Bob's drop and Cy's seat.
    let state = server.server.state();
    let stored = state
        .ledger
        .recording(second["match"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    let steps = parlor::room::Recording::decode(&stored).unwrap().steps;
    let bob_id = first["ranking"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "Bob")
        .unwrap()["player"]
        .clone();
    assert!(
        steps.contains(&Step::Online {
            id: bob_id.as_str().unwrap().to_owned(),
            online: false
        }),
        "{steps:?}"
    );
    assert!(
        steps
            .iter()
            .any(|s| matches!(s, Step::Seat { name, .. } if name == "Cy")),
        "{steps:?}"
    );

    let reports = common::assert_replays(&server, &second).await;
    let ids: Vec<&str> = reports.iter().map(|r| r.match_id.as_str()).collect();
    assert_eq!(
        ids,
        [first["match"].as_str().unwrap(), second["match"].as_str().unwrap()]
    );
    assert!(reports.iter().all(|r| r.ticks >= 20 && r.inputs >= 1), "{reports:?}");

    // The games list says which games record (the pages link to replays).
    let (_, games) = common::get_json(&server.http("/api/games")).await;
    let record: Vec<(String, bool)> = games
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["name"].as_str().unwrap().to_owned(), g["record"].as_bool().unwrap()))
        .collect();
    assert!(
        record.contains(&("arena".to_owned(), true)) && record.contains(&("tictactoe".to_owned(), false)),
        "{record:?}"
    );

    // The page for it: the game's page, told which match to play back.
    let id = second["match"].as_str().unwrap();
    let (status, head, _) = common::http_get_with(&server.http(&format!("/replay/{id}")), &[]).await;
    assert_eq!(status, 303, "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains(&format!("location: /play/arena?replay={id}")),
        "{head}"
    );

    // Played back: a spectator gets the public view, patches at the
    // recorded pace, the recorded result and `left`.
    let (mut dee, _) = Client::guest(&server.ws_url(), "Dee").await;
    dee.send(json!({"t": "watch", "replay": second["match"], "rid": 7}))
        .await;
    let joined = dee.expect("joined").await;
    assert_eq!(
        (joined["watching"].clone(), joined["you"].clone(), joined["rid"].clone()),
        (json!(true), Value::Null, json!(7))
    );
    assert_eq!(joined["game"], "arena");
    // The replay plays, counted in the server's metrics (its room is not:
    // replays are not rooms of the matchmaker).
    let metrics = common::prometheus::metrics_of(&server);
    assert_eq!(metrics.value("parlor_replays", &[]), 1.0);
    assert_eq!(metrics.value("parlor_rooms", &[("game", "arena")]), 1.0);
    let mut patches = 0;
    let result = loop {
        let m = dee.recv().await;
        match m["t"].as_str() {
            Some("patch") => patches += 1,
            Some("result") => break m,
            _ => {}
        }
    };
    assert_eq!(result["match"], second["match"]);
    assert_eq!(result["ranking"], second["ranking"]);
    assert_eq!(result["seed"], second["seed"]);
    assert_eq!(dee.expect("left").await["reason"], "finished");
    assert!(patches >= 15, "a second of play at 20 Hz, as patches: {patches}");
    // Inputs from a spectator of a replay are refused like any other's.
    dee.send(json!({"t": "watch", "replay": first["match"]})).await;
    dee.expect("joined").await;
    dee.send(json!({"t": "input", "seq": 1, "d": {"dx": 1.0, "dy": 0.0}}))
        .await;
    assert_eq!(dee.expect("error").await["code"], "spectator");
}

#[tokio::test]
async fn a_replay_that_is_not_there_or_not_recorded_is_refused_clearly() {
    let server = TestServer::with_manifests(&[("arena", ARENA)]).await;
    let (mut dee, _) = Client::guest(&server.ws_url(), "Dee").await;
    dee.send(json!({"t": "watch", "replay": "0000nope"})).await;
    let error = dee.expect("error").await;
    assert_eq!(error["code"], "no_such_room");
    assert!(
        error["message"].as_str().unwrap().contains("no signed match 0000nope"),
        "{error}"
    );
    let (status, _) = common::http_get(&server.http("/replay/0000nope")).await;
    assert_eq!(status, 404);
    dee.send(json!({"t": "watch", "replay": "0000nope", "room": "ABCDEF"}))
        .await;
    assert_eq!(dee.expect("error").await["code"], "bad_message");

    // Tic-tac-toe is not recorded here.
    let result = common::forfeited_match(&server.ws_url(), "Bob").await;
    dee.send(json!({"t": "watch", "replay": result["match"]})).await;
    let error = dee.expect("error").await;
    assert_eq!(error["code"], "no_such_room");
    assert!(
        error["message"].as_str().unwrap().contains("has no recording"),
        "{error}"
    );
    let refused = common::replay_check(&server, result["match"].as_str().unwrap()).await;
    assert!(
        matches!(refused, Err(CheckError::Load(LoadError::NotRecorded(_)))),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_recording_changed_after_the_match_was_signed_is_not_replayed() {
    let server = TestServer::with_manifests(&[("arena", ARENA)]).await;
    let (mut ann, _) = Client::guest(&server.ws_url(), "Ann").await;
    ann.send(json!({"t": "quick", "game": "arena"})).await;
    ann.expect("joined").await;
    let result = steer_until_result(&mut ann, 1.0).await;
    common::assert_replays(&server, &result).await;

    // Drop one step from the stored recording, as someone editing the
    // database might, and store it back.
    let id = result["match"].as_str().unwrap();
    let db = server.data_dir().join("data/parlor.db");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let data: Vec<u8> = sqlx::query_scalar("SELECT data FROM recordings WHERE match_id = ?")
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
    let mut recording = parlor::room::Recording::decode(&data).unwrap();
    recording.steps.pop();
    sqlx::query("UPDATE recordings SET data = ? WHERE match_id = ?")
        .bind(&recording.encode()[..])
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    let refused = common::replay_check(&server, id).await;
    let Err(CheckError::Load(error)) = refused else {
        panic!("a changed recording replayed: {refused:?}");
    };
    assert!(error.to_string().contains("SHA-256 differs"), "{error}");
}

/// "dice": whoever rolls first wins, scoring the roll. With `[settings]
/// loose = true` it rolls with the thread's generator instead of the
/// match's `MatchRng`, which no replay can repeat.
struct Dice;

#[derive(Resource, Deserialize, Clone, Default)]
#[serde(default, deny_unknown_fields)]
struct DiceSettings {
    loose: bool,
}

impl Game for Dice {
    type Input = ();
    type Settings = DiceSettings;
    const NAME: &'static str = "dice";

    fn build(room: &mut RoomBuilder) {
        room.add_systems(roll);
    }
}

fn roll(inputs: Res<Inputs<()>>, settings: Res<DiceSettings>, mut rng: ResMut<MatchRng>, mut commands: Commands) {
    if let Some(input) = inputs.iter().next() {
        let roll = match settings.loose {
            true => rand::random::<u32>() as u64,
            false => rng.below(1 << 32),
        };
        commands.insert_resource(Outcome::winner(input.player, roll as i64));
    }
}

/// A server hosting dice, recorded, `loose` or not; and a roll's result.
async fn rolled(loose: bool) -> (TestServer, Value) {
    let mut catalog = Catalog::new();
    let manifest =
        format!("name = \"dice\"\nmin_players = 1\nmax_players = 1\nrecord = true\n[settings]\nloose = {loose}\n");
    catalog.add::<Dice>(Manifest::parse(&manifest).unwrap()).unwrap();
    let server = TestServer::start_with(|_| {}, Some(catalog)).await;
    let (mut ann, _) = Client::guest(&server.ws_url(), "Ann").await;
    ann.send(json!({"t": "quick", "game": "dice"})).await;
    ann.expect("joined").await;
    ann.input(json!(null)).await;
    let result = ann.expect("result").await;
    (server, result)
}

#[tokio::test]
async fn a_game_that_draws_outside_its_match_rng_is_caught_by_its_replay() {
    let (server, result) = rolled(false).await;
    common::assert_replays(&server, &result).await;

    let (server, result) = rolled(true).await;
    let diverged = common::replay_check(&server, result["match"].as_str().unwrap()).await;
    let Err(CheckError::Diverged(e)) = diverged else {
        panic!("a roll from the thread's generator replayed: {diverged:?}");
    };
    assert!(e.problem.contains("the record says 1 Ann"), "{e}");
}
