//! Counting open websocket connections per client IP address, so one
//! address cannot take all of a server's sockets.

use std::net::IpAddr;
use std::sync::Arc;

use dashmap::DashMap;

/// Open connections per IP address, bounded by `limit` each.
pub struct ConnectionLimiter {
    open: DashMap<IpAddr, u32>,
    limit: u32,
}

impl ConnectionLimiter {
    /// A limiter allowing `limit` open connections per address.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use parlor::net::connections::ConnectionLimiter;
    /// let limiter = Arc::new(ConnectionLimiter::new(1));
    /// let ip = "127.0.0.1".parse().unwrap();
    /// let first = ConnectionLimiter::acquire(&limiter, ip).unwrap();
    /// assert!(ConnectionLimiter::acquire(&limiter, ip).is_none());
    /// drop(first);
    /// assert!(ConnectionLimiter::acquire(&limiter, ip).is_some());
    /// ```
    pub fn new(limit: u32) -> ConnectionLimiter {
        ConnectionLimiter {
            open: DashMap::new(),
            limit,
        }
    }

    /// Counts one more connection from `ip`, or `None` at the limit. The
    /// count goes down when the returned slot is dropped.
    pub fn acquire(this: &Arc<Self>, ip: IpAddr) -> Option<ConnectionSlot> {
        let mut count = this.open.entry(ip).or_insert(0);
        if *count >= this.limit {
            return None;
        }
        *count += 1;
        Some(ConnectionSlot {
            counted: Some((this.clone(), ip)),
        })
    }
}

/// One counted connection; dropping it releases the count.
pub struct ConnectionSlot {
    /// The limiter and address counted, or `None` for an exempt connection.
    counted: Option<(Arc<ConnectionLimiter>, IpAddr)>,
}

impl ConnectionSlot {
    /// A slot for a connection exempt from the limit.
    pub fn uncounted() -> ConnectionSlot {
        ConnectionSlot { counted: None }
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let Some((limiter, ip)) = &self.counted else { return };
        // Addresses with no connection are removed, so the map holds only
        // addresses that are connected now.
        limiter.open.remove_if_mut(ip, |_, count| {
            *count -= 1;
            *count == 0
        });
    }
}
