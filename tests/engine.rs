//! Engine behaviour a game relies on: timers in turn-based rooms, events,
//! private rooms, and rooms starting only when their seats are filled.

mod common;

use std::time::Duration;

use bevy_ecs::prelude::*;
use common::{get_json, Client, Mirror, TestServer};
use parlor::catalog::ManifestSource;
use parlor::game::{Clock, GameEvents, Inputs};
use parlor::manifest::Manifest;
use parlor::simulation::{Game, RoomBuilder};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Replicated: how often the room's timer fired.
#[derive(Resource, Serialize, Deserialize, Default)]
struct Rings(u32);

/// A turn-based game that sets a timer on every input and rings when it
/// fires, with an event.
struct Alarm;

impl Game for Alarm {
    type Input = u64;
    type Settings = parlor::simulation::NoSettings;
    const NAME: &'static str = "alarm";
    fn build(room: &mut RoomBuilder) {
        room.replicate_resource(Rings::default())
            .insert_resource(GameEvents::default())
            .add_systems(alarm);
    }
}

fn alarm(inputs: Res<Inputs<u64>>, mut clock: ResMut<Clock>, mut rings: ResMut<Rings>, mut events: ResMut<GameEvents>) {
    for input in inputs.iter() {
        clock.wake_after(Duration::from_millis(input.data));
    }
    if inputs.is_empty() {
        // No input: this tick is the timer's.
        rings.0 += 1;
        events.broadcast("ring", &json!({"rings": rings.0}));
    }
}

async fn server_with_alarm(min_players: u32) -> TestServer {
    let mut catalog = parlor_games::bundled(&ManifestSource::Bundled).unwrap();
    let manifest = format!("name = \"alarm\"\nmin_players = {min_players}\nmax_players = 3\n");
    catalog.add::<Alarm>(Manifest::parse(&manifest).unwrap()).unwrap();
    TestServer::start_with(|_| {}, Some(catalog)).await
}

#[tokio::test]
async fn a_turn_based_room_wakes_for_the_timer_its_game_set() {
    let server = server_with_alarm(1).await;
    let (mut c, _) = Client::guest(&server.ws_url(), "Sleeper").await;
    c.send(json!({"t": "create", "game": "alarm", "private": true})).await;
    let mut m = Mirror::default();
    c.expect_mirrored(&mut m, "joined").await;
    // The join itself ticked the room once (no input): one ring.
    c.expect_mirrored(&mut m, "patch").await;
    assert_eq!(m.resource("Rings"), &json!(1));

    c.input(json!(50)).await;
    let event = c.expect_mirrored(&mut m, "event").await;
    assert_eq!(
        (event["name"].as_str(), &event["d"]),
        (Some("ring"), &json!({"rings": 2}))
    );
    c.expect_mirrored(&mut m, "patch").await;
    assert_eq!(m.resource("Rings"), &json!(2));
    // Private rooms are not listed.
    let (_, rooms) = get_json(&server.http("/api/rooms")).await;
    assert_eq!(rooms, json!([]));
}

#[tokio::test]
async fn a_room_starts_its_game_when_the_minimum_seats_are_filled() {
    let server = server_with_alarm(2).await;
    let (mut a, _) = Client::guest(&server.ws_url(), "Early").await;
    a.send(json!({"t": "quick", "game": "alarm"})).await;
    let mut ma = Mirror::default();
    let joined = a.expect_mirrored(&mut ma, "joined").await;
    a.expect_mirrored(&mut ma, "patch").await;
    // Alone, the game's systems do not run: no ring on the join's tick.
    assert_eq!(ma.resource("Rings"), &json!(0));
    let (_, rooms) = get_json(&server.http("/api/rooms")).await;
    assert_eq!(
        (rooms[0]["code"].clone(), rooms[0]["players"].clone()),
        (joined["room"].clone(), json!(1))
    );

    let (mut b, _) = Client::guest(&server.ws_url(), "Second").await;
    b.send(json!({"t": "quick", "game": "alarm"})).await;
    assert_eq!(
        b.expect("joined").await["room"],
        joined["room"],
        "quick match fills the waiting room"
    );
    let event = a.expect_mirrored(&mut ma, "event").await;
    assert_eq!(event["d"], json!({"rings": 1}));
    a.expect_mirrored(&mut ma, "patch").await;
    assert_eq!(ma.with("Player").len(), 2);
}

#[tokio::test]
async fn quick_right_after_the_last_player_left_opens_a_new_room() {
    let server = TestServer::start().await;
    let (mut ada, _) = Client::guest(&server.ws_url(), "Ada").await;
    for _ in 0..3 {
        ada.send(json!({"t": "quick", "game": "tictactoe"})).await;
        let first = ada.expect("joined").await["room"].clone();
        // The room closes on this leave; the quick read with it must not
        // be handed the closing room.
        ada.send_batch(&[json!({"t": "leave"}), json!({"t": "quick", "game": "tictactoe"})])
            .await;
        ada.expect("left").await;
        let second = ada.expect("joined").await["room"].clone();
        assert_ne!(first, second);
        ada.send(json!({"t": "leave"})).await;
        ada.expect("left").await;
    }
}
