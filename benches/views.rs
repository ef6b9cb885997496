//! What hidden hands cost: a six-player card room whose hands are private
//! (`replicate_private`, one view per player) against the same room with
//! every hand public (one view for all), per tick, encoding and fan-out to
//! six compact clients included. Two moves: one player's hand changes a
//! tick (a card played), or every hand does (a deal).

mod support;

use criterion::{criterion_group, criterion_main, Criterion};
use parlor::catalog::Catalog;
use parlor::manifest::Manifest;
use parlor::prelude::*;
use parlor::room::{ClientHandle, Join, Outbound, Room, RoomCommand, RoomContext};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

/// A player's cards.
#[derive(Component, Serialize, Deserialize)]
struct Hand(Vec<u8>);

/// How many cards a player holds: public in both rooms.
#[derive(Component, Serialize, Deserialize)]
struct HandSize(u8);

/// The table: public in both rooms.
#[derive(Resource, Serialize, Deserialize, Default)]
struct Table {
    top: u8,
    turn: u8,
    moves: u32,
}

/// `[settings] deal = true`: every hand changes every tick.
#[derive(Resource, Deserialize, Clone, Default)]
#[serde(default)]
struct Deal {
    deal: bool,
}

/// The card room; `HIDDEN` makes hands private.
struct Cards<const HIDDEN: bool>;

impl<const HIDDEN: bool> Game for Cards<HIDDEN> {
    type Input = ();
    type Settings = Deal;
    const NAME: &'static str = if HIDDEN { "hidden" } else { "public" };

    fn build(room: &mut RoomBuilder) {
        if HIDDEN {
            room.replicate_private::<Hand>();
        } else {
            room.replicate::<Hand>();
        }
        room.replicate::<HandSize>()
            .replicate_resource(Table::default())
            .add_systems((seat, play).chain());
    }
}

fn seat(new: Query<(Entity, &Player), Added<Player>>, mut commands: Commands) {
    for (entity, player) in &new {
        let first = player.slot * 8;
        commands
            .entity(entity)
            .insert((Hand((first..first + 8).collect()), HandSize(8)));
    }
}

fn play(deal: Res<Deal>, clock: Res<Clock>, mut table: ResMut<Table>, mut hands: Query<(&Player, &mut Hand)>) {
    let turn = (clock.tick % 6) as u8;
    for (player, mut hand) in &mut hands {
        if deal.deal || player.slot == turn {
            hand.0.rotate_left(1);
            hand.0[7] = clock.tick as u8;
        }
    }
    table.top = clock.tick as u8;
    table.turn = turn;
    table.moves += 1;
}

/// A room of `game` with six compact clients seated, past its first tick.
fn seated(ctx: &RoomContext, catalog: &Catalog, game: &str) -> (Room, Vec<mpsc::Receiver<Outbound>>) {
    let game = catalog.get(game).unwrap().clone();
    let mut room = Room::new(ctx.clone(), game, parlor::matchmaking::new_room_code().into());
    let mut queues = Vec::new();
    for i in 0..6 {
        let (client, rx) = ClientHandle::queue(4096, 0, parlor::protocol::PatchForm::Compact);
        let (reply, _) = oneshot::channel();
        room.handle(RoomCommand::Join(Box::new(Join {
            player: support::player(i),
            client,
            resume: false,
            rid: None,
            reply,
        })));
        queues.push(rx);
    }
    room.tick();
    support::drain(&mut queues);
    (room, queues)
}

fn views(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _guard = rt.enter();
    let mut catalog = Catalog::new();
    for deal in [false, true] {
        let manifest = |name: &str| {
            let text = format!("name = \"{name}\"\nmin_players = 6\nmax_players = 6\n[settings]\ndeal = {deal}\n");
            Manifest::parse(&text).unwrap()
        };
        catalog.add::<Cards<true>>(manifest("hidden")).unwrap();
        catalog.add::<Cards<false>>(manifest("public")).unwrap();
        let (ctx, _dir) = support::context(&rt, &catalog);
        let mut group = c.benchmark_group(if deal { "cards_6_deal" } else { "cards_6_move" });
        for game in ["public", "hidden"] {
            let (mut room, mut queues) = seated(&ctx, &catalog, game);
            // What the six clients receive a tick, for the record.
            room.tick();
            let bytes = support::drain(&mut queues);
            eprintln!("{game} (deal = {deal}): {bytes} bytes to 6 clients a tick");
            group.bench_function(game, |b| {
                b.iter(|| {
                    room.tick();
                    support::drain(&mut queues)
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, views);
criterion_main!(benches);
