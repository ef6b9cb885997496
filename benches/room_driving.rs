//! How to drive rooms: a tokio task per room (what the server does) against
//! shards of rooms ticked together by one thread per core.
//!
//! Each mode runs N arena rooms of 8 seated players at 20 Hz for a few
//! seconds on this machine and reports the process CPU time per room-tick
//! and the delivered tick rate. `cargo bench --bench room_driving -- --rooms
//! 500,2000 --seconds 5` picks the sizes.

mod support;

use std::time::{Duration, Instant};

use parlor::catalog::Catalog;
use parlor::room::{Outbound, Room};
use tokio::sync::mpsc;

const RATE: f64 = 20.0;
const PLAYERS: usize = 8;

struct Run {
    cpu: f64,
    patches: usize,
    seconds: f64,
}

fn rooms(
    ctx: &parlor::room::RoomContext,
    catalog: &Catalog,
    n: usize,
    seconds: f64,
) -> (Vec<Room>, Vec<mpsc::Receiver<Outbound>>) {
    // Queues long enough that no client lags during the run.
    let queue = (seconds * RATE) as usize + 64;
    let mut all_rooms = Vec::with_capacity(n);
    let mut all_queues = Vec::with_capacity(n * PLAYERS);
    for _ in 0..n {
        let (room, queues) = support::seated_room(ctx, catalog, "arena", PLAYERS, queue);
        all_rooms.push(room);
        all_queues.extend(queues);
    }
    (all_rooms, all_queues)
}

fn count_patches(queues: &mut [mpsc::Receiver<Outbound>]) -> usize {
    let mut n = 0;
    for q in queues {
        while let Ok(item) = q.try_recv() {
            n += matches!(item, Outbound::Patch { .. }) as usize;
        }
    }
    n
}

/// Every room is its own task on a two-worker runtime.
fn tasks(catalog: &Catalog, n: usize, seconds: f64) -> Run {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (ctx, _dir) = support::context(&rt, catalog);
    let (all_rooms, mut queues) = rooms(&ctx, catalog, n, seconds);
    let mut inboxes = Vec::new();
    let cpu = support::cpu_seconds();
    let start = Instant::now();
    rt.block_on(async {
        for room in all_rooms {
            let (tx, rx) = mpsc::channel(16);
            inboxes.push(tx);
            tokio::spawn(room.run(rx));
        }
        tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    });
    let run = Run {
        cpu: support::cpu_seconds() - cpu,
        seconds: start.elapsed().as_secs_f64(),
        patches: count_patches(&mut queues),
    };
    drop(inboxes);
    rt.shutdown_background();
    run
}

/// Rooms split over two threads; each thread ticks all its rooms at every
/// 50 ms boundary.
fn shards(catalog: &Catalog, n: usize, seconds: f64) -> Run {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (ctx, _dir) = support::context(&rt, catalog);
    let (mut all_rooms, mut queues) = rooms(&ctx, catalog, n, seconds);
    let cpu = support::cpu_seconds();
    let start = Instant::now();
    let period = Duration::from_secs_f64(1.0 / RATE);
    let half = all_rooms.len() / 2;
    let second_half = all_rooms.split_off(half);
    let threads: Vec<_> = [all_rooms, second_half]
        .into_iter()
        .map(|mut shard| {
            let handle = rt.handle().clone();
            std::thread::spawn(move || {
                let _guard = handle.enter();
                let mut next = start;
                while next.duration_since(start).as_secs_f64() < seconds {
                    for room in &mut shard {
                        room.tick();
                    }
                    next += period;
                    if let Some(wait) = next.checked_duration_since(Instant::now()) {
                        std::thread::sleep(wait);
                    }
                }
                shard
            })
        })
        .collect();
    for t in threads {
        drop(t.join().unwrap());
    }
    Run {
        cpu: support::cpu_seconds() - cpu,
        seconds: start.elapsed().as_secs_f64(),
        patches: count_patches(&mut queues),
    }
}

fn main() {
    let value = support::flag_value;
    let sizes: Vec<usize> = value("--rooms")
        .unwrap_or_else(|| "250,1000,2500".into())
        .split(',')
        .map(|s| s.parse().expect("--rooms takes numbers like 250,1000"))
        .collect();
    let seconds: f64 = value("--seconds").map_or(5.0, |s| s.parse().expect("--seconds takes a number"));
    let catalog = support::bundled();

    println!("room driving: arena rooms of {PLAYERS} players at {RATE} Hz, {seconds} s each, 2 cores");
    println!("| rooms | mode | delivered rate | CPU s | CPU us per room-tick | tasks/shards |");
    println!("|---:|---|---:|---:|---:|---:|");
    for &n in &sizes {
        let t = tasks(&catalog, n, seconds);
        let s = shards(&catalog, n, seconds);
        for (mode, run) in [("task per room", &t), ("2 shards", &s)] {
            let room_ticks = run.patches as f64 / PLAYERS as f64;
            let expected = n as f64 * RATE * run.seconds;
            println!(
                "| {n} | {mode} | {:.1}% | {:.2} | {:.1} | {} |",
                100.0 * room_ticks / expected,
                run.cpu,
                1e6 * run.cpu / room_ticks.max(1.0),
                if std::ptr::eq(run, &t) {
                    format!("{:.2}", t.cpu / s.cpu.max(0.01))
                } else {
                    "1.00".into()
                }
            );
        }
    }
}
