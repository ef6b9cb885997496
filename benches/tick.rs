//! One room tick plus patch encode and fan-out, for the bundled games,
//! beside the floor of a bare bevy_ecs tick.

mod support;

use bevy_ecs::prelude::*;
use bevy_ecs::schedule::SingleThreadedExecutor;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use parlor::catalog::Catalog;
use parlor::manifest::Manifest;
use parlor::protocol::PatchForm;
use parlor::room::{RoomCommand, RoomContext};

#[derive(Component)]
struct A(f32);
#[derive(Component)]
struct B(f32);

fn bare_world() -> (World, Schedule) {
    let mut world = World::new();
    for i in 0..38 {
        world.spawn((A(i as f32), B(0.0)));
    }
    let mut schedule = Schedule::default();
    schedule.set_executor(SingleThreadedExecutor::new());
    schedule.add_systems((
        |mut q: Query<&mut A>| q.iter_mut().for_each(|mut a| a.0 += 1.0),
        |mut q: Query<(&A, &mut B)>| q.iter_mut().for_each(|(a, mut b)| b.0 = a.0 * 0.5),
        |q: Query<&B>| {
            std::hint::black_box(q.iter().map(|b| b.0).sum::<f32>());
        },
    ));
    (world, schedule)
}

/// An 8-player arena room of `catalog`'s arena, ticked with half its
/// players steering each tick (they steer at 10 Hz against a 20 Hz tick).
fn steering(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    ctx: &RoomContext,
    catalog: &Catalog,
    form: PatchForm,
) {
    let (mut room, mut queues) = support::seated_room_asking(ctx, catalog, "arena", 8, 4096, form);
    room.tick();
    support::drain(&mut queues);
    let mut seq = 0u32;
    group.bench_function(name, |b| {
        b.iter(|| {
            seq += 1;
            for p in (seq as usize % 2..8).step_by(2) {
                room.handle(support::steer(catalog, p, seq));
            }
            room.tick();
            support::drain(&mut queues)
        })
    });
}

fn ticks(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _guard = rt.enter();
    let catalog = support::bundled();
    let (ctx, _dir) = support::context(&rt, &catalog);

    let mut group = c.benchmark_group("tick");
    let (mut world, mut schedule) = bare_world();
    group.bench_function("baseline_bare_bevy_3_systems_38_entities", |b| {
        b.iter(|| schedule.run(&mut world))
    });

    steering(&mut group, "arena_8_players_steering", &ctx, &catalog, PatchForm::Patch);
    // The same with the clients asking for compact `p`, and lean `p` (the
    // SDK's default).
    steering(
        &mut group,
        "arena_8_players_steering_compact",
        &ctx,
        &catalog,
        PatchForm::Compact,
    );
    steering(
        &mut group,
        "arena_8_players_steering_lean",
        &ctx,
        &catalog,
        PatchForm::Lean,
    );
    // The same room recording its matches (manifest `record = true`):
    // every input's frame and every tick kept, cut at each round's end.
    let dir = tempfile::tempdir().unwrap();
    let manifest = format!("record = true\n{}", include_str!("../games/manifests/arena.toml"));
    std::fs::write(dir.path().join("arena.toml"), manifest).unwrap();
    let recorded = parlor_games::bundled(&parlor::catalog::ManifestSource::Dir(dir.path())).unwrap();
    steering(
        &mut group,
        "arena_8_players_steering_recorded",
        &ctx,
        &recorded,
        PatchForm::Patch,
    );

    let (mut idle, mut idle_queues) = support::seated_room(&ctx, &catalog, "arena", 8, 4096);
    idle.tick();
    support::drain(&mut idle_queues);
    group.bench_function("arena_8_players_idle", |b| {
        b.iter(|| {
            idle.tick();
            support::drain(&mut idle_queues)
        })
    });
    group.finish();

    let mut group = c.benchmark_group("tictactoe");
    group.bench_function("first_move_tick", |b| {
        b.iter_batched(
            || {
                let (mut room, queues) = support::seated_room(&ctx, &catalog, "tictactoe", 2, 64);
                room.tick();
                let frame =
                    rmp_serde::to_vec_named(&serde_json::json!({"t": "input", "seq": 1, "d": {"cell": 4}})).unwrap();
                let (seq, data) = support::decode_input(&catalog, "tictactoe", &frame);
                room.handle(RoomCommand::Input {
                    player: support::player(0).id,
                    seq,
                    data,
                });
                (room, queues)
            },
            |(mut room, queues)| {
                room.tick();
                (room, queues)
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();

    let mut group = c.benchmark_group("frames");
    let input =
        rmp_serde::to_vec_named(&serde_json::json!({"t": "input", "seq": 77, "d": {"dx": 0.6, "dy": -0.8}})).unwrap();
    let arena = catalog.get("arena").unwrap().clone();
    group.bench_function("decode_arena_input", |b| {
        b.iter(|| {
            // One pass: the envelope and `d` as the arena's input type.
            arena.decode_client(&input).unwrap()
        })
    });
    let mut wide = Catalog::new();
    let manifest = Manifest::parse(
        "name = \"arena\"\nmin_players = 1\nmax_players = 16\ntick_rate = 20\nmatch_seconds = 60\ncontinuous = true\n",
    )
    .unwrap();
    wide.add::<parlor_games::arena::Arena>(manifest).unwrap();
    let (mut big, mut big_queues) = support::seated_room(&ctx, &wide, "arena", 16, 64);
    big.tick();
    support::drain(&mut big_queues);
    group.bench_function("joined_encode_arena_16_players", |b| {
        b.iter(|| big.joined_frame(Entity::PLACEHOLDER, None))
    });
    group.finish();
}

criterion_group!(benches, ticks);
criterion_main!(benches);
