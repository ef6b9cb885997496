//! The node's side of the directory: its heartbeat, the rooms it publishes,
//! and the sweep that forgets nodes whose registration expired.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::changes::Changes;
use super::Cluster;

/// Heartbeats between two sweeps for dead nodes and stale placements.
const BEATS_PER_SWEEP: u32 = 3;

/// Runs until `stop`; then forgets the node in the directory.
pub(super) async fn run(cluster: Arc<Cluster>, stop: CancellationToken) {
    let mut beats = tokio::time::interval(cluster.heartbeat);
    beats.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut count: u32 = 0;
    loop {
        tokio::select! {
            biased;
            _ = stop.cancelled() => break,
            _ = beats.tick() => {
                if beat(&cluster).await.is_ok() {
                    count = count.wrapping_add(1);
                    if count % BEATS_PER_SWEEP == 1 {
                        sweep(&cluster).await;
                    }
                }
            }
            _ = cluster.directory.wake.notified() => {}
        }
        if cluster.is_up() {
            publish(&cluster).await;
        }
    }
    // Whatever closed while stopping, then the node itself.
    publish(&cluster).await;
    let left: Result<String, _> = cluster.call("leave", &[&cluster.node]).await;
    if let Err(e) = left {
        tracing::warn!(error = %e, "could not remove this node from the cluster directory; it leaves at its TTL");
    }
}

/// Renews the node's registration; when the directory did not know the
/// node (it is new, Redis restarted, or its registration expired), every
/// room and held seat is published again.
pub(super) async fn beat(cluster: &Cluster) -> Result<(), redis::RedisError> {
    let (rooms, players) = cluster.directory.local.load();
    let fresh: i64 = cluster
        .call(
            "beat",
            &[
                &cluster.node,
                &cluster.url,
                &rooms.to_string(),
                &players.to_string(),
                &cluster.capacity.to_string(),
                if cluster.is_draining() { "1" } else { "0" },
                &cluster.ttl.as_millis().to_string(),
            ],
        )
        .await?;
    if fresh == 1 {
        tracing::info!(node = %cluster.node, url = %cluster.url, rooms, "registered in the cluster directory");
        cluster.directory.all_changed();
    }
    Ok(())
}

/// Forgets dead nodes, and rooms placed here that never opened.
async fn sweep(cluster: &Cluster) {
    match cluster.call::<Vec<String>>("sweep", &[]).await {
        Ok(gone) if !gone.is_empty() => tracing::info!(nodes = ?gone, "forgot nodes whose registration expired"),
        Ok(_) => {}
        Err(e) => tracing::debug!(error = %e, "sweep failed"),
    }
    let placed: Result<Vec<String>, _> = {
        let key = format!("{}:node:{}:rooms", cluster.prefix, cluster.node);
        let mut redis = cluster.redis.clone();
        redis::cmd("SMEMBERS").arg(key).query_async(&mut redis).await
    };
    let Ok(placed) = placed else { return };
    let unopened: Vec<String> = placed
        .into_iter()
        .filter(|code| cluster.rooms.local_room(code).is_none())
        .collect();
    if unopened.is_empty() {
        return;
    }
    // A placement older than twice the reservation window lost its player.
    let min_age = (2 * cluster.reservation + Duration::from_secs(1))
        .as_millis()
        .to_string();
    let mut args = vec![cluster.node.as_str(), min_age.as_str()];
    args.extend(unopened.iter().map(String::as_str));
    let _: Result<i64, _> = cluster.call("stale", &args).await;
}

/// Writes what changed; what could not be written waits for the next try.
async fn publish(cluster: &Cluster) {
    let changes = cluster.directory.take();
    if changes.is_empty() {
        return;
    }
    let mut failed = Changes::default();
    let mut held = changes.held.into_iter();
    let mut rooms = changes.rooms.into_iter();
    for (code, joined) in rooms.by_ref() {
        if let Err(e) = publish_room(cluster, &code, &joined).await {
            tracing::debug!(error = %e, room = %code, "could not publish a room");
            failed.rooms.insert(code, joined);
            break;
        }
    }
    failed.rooms.extend(rooms);
    if failed.rooms.is_empty() {
        for (player, (code, is_held)) in held.by_ref() {
            let written: Result<String, _> = if is_held {
                // A held seat outlives no grace: a day bounds what a dead
                // node can leave behind.
                cluster.call("held", &[&player, &code, "86400000"]).await
            } else {
                cluster.call("released", &[&player, &code]).await
            };
            if written.is_err() {
                failed.held.insert(player, (code, is_held));
                break;
            }
        }
    }
    failed.held.extend(held);
    if !failed.is_empty() {
        cluster.directory.put_back(failed);
    }
}

/// Publishes one room as it is now, or its closing.
async fn publish_room(cluster: &Cluster, code: &str, joined: &[Arc<str>]) -> Result<(), redis::RedisError> {
    let Some(report) = cluster.directory.local.report(code) else {
        let _: String = cluster.call("closed", &[&cluster.node, code]).await?;
        return Ok(());
    };
    let room = &report.room;
    let chat = room
        .chat
        .as_ref()
        .map(|(game, chat)| cluster.chat_key(game, chat))
        .unwrap_or_default();
    let (max, players) = (report.max_players.to_string(), report.players.to_string());
    let mut args = vec![
        cluster.node.as_str(),
        code,
        &room.game,
        &max,
        &players,
        if room.private { "1" } else { "0" },
        room.invite.as_deref().unwrap_or(""),
        &chat,
    ];
    args.extend(joined.iter().map(|p| &**p));
    let written: String = cluster.call("publish", &args).await?;
    if written == "conflict" {
        tracing::warn!(room = %code, "another node's room has this code (opened while Redis was away); this room stays off the directory");
    }
    Ok(())
}
