//! Giving the heap's freed memory back to the system.
//!
//! glibc's malloc hands memory back to the system only from the top of an
//! arena: pages freed in the middle, between allocations still alive,
//! stay resident until `malloc_trim` walks the arenas and releases them.
//! A burst of rooms opened together and closed together leaves exactly
//! that. After 1,000 arena rooms opened and closed, a release server held
//! 112 MiB resident while heaptrack counted under 1 MiB still allocated,
//! and one `malloc_trim(0)` brought it to 14 MiB. So the server trims on a
//! timer (`[memory] trim_secs`). docs/operations.md ("Memory") has the
//! figures and why this, rather than another allocator.
//!
//! On other platforms (or another libc) there is nothing to call and
//! [`trim`] does nothing.

use std::future::Future;
use std::time::{Duration, Instant};

/// Trims every `period` until `stopping` resolves. Each trim runs on a
/// blocking thread: it takes each arena's lock in turn while it walks it,
/// and a runtime worker should not wait on that.
pub async fn trim_periodically(period: Duration, stopping: impl Future<Output = ()>) {
    if !SUPPORTED {
        return;
    }
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(stopping);
    loop {
        tokio::select! {
            _ = &mut stopping => return,
            _ = ticks.tick() => {}
        }
        let started = Instant::now();
        let Ok(released) = tokio::task::spawn_blocking(trim).await else {
            return;
        };
        tracing::debug!(released, took_us = started.elapsed().as_micros() as u64, "heap trimmed");
    }
}

/// Whether [`trim`] can give memory back on this platform.
pub const SUPPORTED: bool = cfg!(all(target_os = "linux", target_env = "gnu"));

/// Gives the free pages of every malloc arena back to the system; true
/// when some were.
///
/// ```
/// let _ = parlor::memory::trim();
/// ```
pub fn trim() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: malloc_trim takes no pointers; it walks glibc's own free
        // lists under their locks and advises the kernel about free pages.
        unsafe { libc::malloc_trim(0) == 1 }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}
