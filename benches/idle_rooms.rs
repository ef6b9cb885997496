//! Memory and CPU of idle turn-based rooms: N tictactoe rooms, each with one
//! player waiting for an opponent, held by a real server's directory, with
//! the player's real outbound queue. Reports bytes per room all-in (process
//! RSS growth / N) beside the floor of a bare bevy_ecs World + Schedule, and
//! the CPU the process uses at rest.
//!
//! Then real-time rooms: M arena rooms of one player each, the CPU they take
//! with the player connected, and again once every player's connection
//! dropped (seats held for the grace): a real-time room nobody is connected
//! to stops ticking.
//!
//! `cargo bench --bench idle_rooms -- --rooms 100000 --arena 2000`

mod support;

use std::time::{Duration, Instant};

use bevy_ecs::prelude::*;
use bevy_ecs::schedule::SingleThreadedExecutor;
use parlor::config::Config;
use parlor::matchmaking::Matchmaker;
use parlor::net::Server;

fn rss_bytes() -> u64 {
    support::server::rss_bytes("self").expect("VmRSS in /proc/self/status")
}

#[derive(Component)]
struct A(u32);

/// The floor: a bare World + Schedule of 3 small systems, run once.
fn bare_worlds(n: usize) -> (f64, Vec<(World, Schedule)>) {
    let before = rss_bytes();
    let mut all = Vec::with_capacity(n);
    for _ in 0..n {
        let mut world = World::new();
        world.spawn(A(0));
        let mut schedule = Schedule::default();
        schedule.set_executor(SingleThreadedExecutor::new());
        schedule.add_systems((
            |mut q: Query<&mut A>| q.iter_mut().for_each(|mut a| a.0 += 1),
            |q: Query<&A>| {
                std::hint::black_box(q.iter().count());
            },
            || {},
        ));
        schedule.run(&mut world);
        all.push((world, schedule));
    }
    ((rss_bytes() - before) as f64 / n as f64, all)
}

/// The game's own part of a room: its simulation, ticked once.
fn simulations(n: usize) -> (f64, Vec<parlor::simulation::Simulation>) {
    let catalog = support::bundled();
    let game = catalog.get("tictactoe").unwrap();
    let before = rss_bytes();
    let mut all = Vec::with_capacity(n);
    for _ in 0..n {
        let mut sim = game.new_simulation([0; 32]);
        sim.run_schedule();
        all.push(sim);
    }
    ((rss_bytes() - before) as f64 / n as f64, all)
}

fn main() {
    let rooms: usize = support::flag_value("--rooms").map_or(100_000, |s| s.parse().expect("--rooms takes a number"));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let server = rt.block_on(async {
        let config = Config {
            bind: "127.0.0.1:0".parse().unwrap(),
            data_dir: dir.path().to_path_buf(),
            ..Config::default()
        };
        Server::start(config, support::bundled()).await.unwrap()
    });
    let matchmaker = server.state().matchmaker.clone();

    let before = rss_bytes();
    let started = Instant::now();
    let mut queues = Vec::with_capacity(rooms);
    rt.block_on(async {
        for i in 0..rooms {
            let room = matchmaker.create("tictactoe", false).unwrap();
            let (client, rx) = support::client_queue(64);
            room.join(support::player(i), client, None).await.unwrap();
            queues.push(rx);
        }
    });
    let created = started.elapsed();
    // Let every room finish the tick its join caused, and take the frames
    // it sent (`joined`, a patch) off the queues, as a connection would.
    rt.block_on(async { tokio::time::sleep(Duration::from_millis(500)).await });
    for q in &mut queues {
        while q.try_recv().is_ok() {}
    }
    let per_room = (rss_bytes() - before) as f64 / rooms as f64;
    let cpu_before = support::cpu_seconds();
    rt.block_on(async { tokio::time::sleep(Duration::from_secs(3)).await });
    let cpu_at_rest = support::cpu_seconds() - cpu_before;
    assert_eq!(matchmaker.room_count(), rooms);

    let floor_n = rooms.min(20_000);
    let (floor, worlds) = bare_worlds(floor_n);
    drop(worlds);
    let (simulation, sims) = simulations(floor_n);
    drop(sims);

    println!("idle rooms: {rooms} tictactoe rooms, one player waiting in each (2 cores)");
    println!("| measure | value |");
    println!("|---|---:|");
    println!(
        "| created in | {:.1} s ({:.0} us per room) |",
        created.as_secs_f64(),
        created.as_secs_f64() * 1e6 / rooms as f64
    );
    println!(
        "| memory per room, all-in (RSS growth / rooms) | {:.1} KiB |",
        per_room / 1024.0
    );
    println!(
        "| floor: bare World + Schedule of 3 systems ({floor_n} of them) | {:.1} KiB |",
        floor / 1024.0
    );
    println!(
        "| of which the game's World + Schedule, run once | {:.1} KiB |",
        simulation / 1024.0
    );
    println!(
        "| size of a room's task state (Room) | {} B |",
        std::mem::size_of::<parlor::room::Room>()
    );
    println!("| ratio room / floor | {:.2} |", per_room / floor);
    println!("| CPU used at rest over 3 s | {:.2} s |", cpu_at_rest);
    drop(queues);

    let arena: usize = support::flag_value("--arena").map_or(2_000, |s| s.parse().expect("--arena takes a number"));
    let (connected, dropped) = rt.block_on(real_time_rooms(&*matchmaker, arena));
    println!("| {arena} arena rooms of one connected player: CPU over 3 s | {connected:.2} s |");
    println!("| the same rooms once every player dropped (seats held): CPU over 3 s | {dropped:.2} s |");
    println!("| ratio dropped / connected | {:.3} |", dropped / connected.max(1e-9));
    rt.block_on(server.shutdown());
}

/// CPU seconds over 3 s of `n` arena rooms with their one player
/// connected, then with every player's connection dropped.
async fn real_time_rooms(matchmaker: &dyn Matchmaker, n: usize) -> (f64, f64) {
    let mut seated = Vec::with_capacity(n);
    for i in 0..n {
        let room = matchmaker.create("arena", true).unwrap();
        let (client, rx) = support::client_queue(64);
        let player = support::player(1_000_000 + i);
        room.join(player.clone(), client.clone(), None).await.unwrap();
        seated.push((room, player, client, rx));
    }
    let open = matchmaker.room_count();
    let cpu = support::cpu_seconds();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let connected = support::cpu_seconds() - cpu;
    for (room, player, client, _) in &seated {
        room.disconnect(player.id.clone(), client);
    }
    // The rooms take the notices at their next tick.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let cpu = support::cpu_seconds();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let dropped = support::cpu_seconds() - cpu;
    assert_eq!(
        matchmaker.room_count(),
        open,
        "the rooms are still open, their seats held"
    );
    (connected, dropped)
}
