//! One room tick plus patch encode and fan-out, for the bundled games,
//! beside the floor of a bare bevy_ecs tick.

mod support;

use bevy_ecs::prelude::*;
use bevy_ecs::schedule::SingleThreadedExecutor;
use criterion::{criterion_group, criterion_main, Criterion};

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

    let (mut room, mut queues) = support::seated_room(&ctx, &catalog, "arena", 8, 4096);
    room.tick();
    support::drain(&mut queues);
    let mut seq = 0u32;
    group.bench_function("arena_8_players_steering", |b| {
        b.iter(|| {
            // Clients steer at 10 Hz against a 20 Hz tick: half of them per tick.
            seq += 1;
            for p in (seq as usize % 2..8).step_by(2) {
                room.handle(support::steer(&catalog, p, seq));
            }
            room.tick();
            support::drain(&mut queues)
        })
    });

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
}

criterion_group!(benches, ticks);
criterion_main!(benches);
