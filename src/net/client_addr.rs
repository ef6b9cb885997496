//! Who a request is from: the TCP peer, or behind a trusted reverse proxy
//! the client address the proxy forwarded. Per-address limits count this
//! address.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};

use super::AppState;
use crate::config::{AddressHeader, ProxyConfig};

/// The address a request is counted against, as an extractor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr {
    /// The client's address.
    pub ip: IpAddr,
    /// Whether the TCP peer is a trusted proxy (so the connection itself
    /// was not counted against `ip` when it was accepted).
    pub via_proxy: bool,
}

impl ClientAddr {
    /// The client behind a request that arrived from `peer` with `headers`.
    pub fn resolve(proxy: &ProxyConfig, peer: IpAddr, headers: &HeaderMap) -> ClientAddr {
        if !proxy.trusts(peer) {
            return ClientAddr {
                ip: peer,
                via_proxy: false,
            };
        }
        let ip = forwarded_client(proxy, headers).unwrap_or(peer);
        ClientAddr { ip, via_proxy: true }
    }
}

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let ConnectInfo(peer) = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .copied()
            .ok_or(StatusCode::INTERNAL_SERVER_ERROR)?;
        Ok(ClientAddr::resolve(&state.config.proxy, peer.ip(), &parts.headers))
    }
}

/// The rightmost address in the proxy header that is not a trusted proxy:
/// entries to its left were written by the client and prove nothing. `None`
/// when the header is missing or an entry on the way is not an address (the
/// request is then counted against the proxy itself).
fn forwarded_client(proxy: &ProxyConfig, headers: &HeaderMap) -> Option<IpAddr> {
    let mut hops: Vec<&str> = Vec::new();
    for value in headers.get_all(header_name(proxy.header)) {
        let value = value.to_str().ok()?;
        hops.extend(value.split(',').map(str::trim));
    }
    let mut client = None;
    for hop in hops.iter().rev() {
        let ip = match proxy.header {
            AddressHeader::XForwardedFor => parse_address(hop)?,
            AddressHeader::Forwarded => parse_address(forwarded_for(hop)?)?,
        };
        client = Some(ip);
        if !proxy.trusts(ip) {
            break;
        }
    }
    client
}

fn header_name(header: AddressHeader) -> &'static str {
    match header {
        AddressHeader::XForwardedFor => "x-forwarded-for",
        AddressHeader::Forwarded => "forwarded",
    }
}

/// The `for=` parameter of one RFC 7239 element (`for=1.2.3.4;proto=https`).
fn forwarded_for(element: &str) -> Option<&str> {
    element.split(';').find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        name.eq_ignore_ascii_case("for").then(|| value.trim().trim_matches('"'))
    })
}

/// `192.0.2.1`, `192.0.2.1:443`, `2001:db8::1` or `[2001:db8::1]:443`.
fn parse_address(text: &str) -> Option<IpAddr> {
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip);
    }
    text.parse::<SocketAddr>().ok().map(|addr| addr.ip()).or_else(|| {
        // A bracketed IPv6 address without a port.
        text.strip_prefix('[')?.strip_suffix(']')?.parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_net;

    fn proxy(header: AddressHeader) -> ProxyConfig {
        ProxyConfig {
            trusted: vec![parse_net("10.0.0.0/8").unwrap(), parse_net("::1").unwrap()],
            header,
        }
    }

    fn headers(name: &'static str, values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append(name, value.parse().unwrap());
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let h = headers("x-forwarded-for", &["203.0.113.9"]);
        let addr = ClientAddr::resolve(&proxy(AddressHeader::XForwardedFor), ip("192.0.2.1"), &h);
        assert_eq!(
            addr,
            ClientAddr {
                ip: ip("192.0.2.1"),
                via_proxy: false
            }
        );
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        // The client prepended a forged address; the proxies appended the
        // real one and their own.
        let h = headers("x-forwarded-for", &["1.1.1.1, 203.0.113.9", "10.0.0.2"]);
        let addr = ClientAddr::resolve(&proxy(AddressHeader::XForwardedFor), ip("10.0.0.1"), &h);
        assert_eq!(
            addr,
            ClientAddr {
                ip: ip("203.0.113.9"),
                via_proxy: true
            }
        );
    }

    #[test]
    fn forwarded_elements_with_ports_and_brackets() {
        let h = headers("forwarded", &["for=\"[2001:db8::7]:4711\";proto=https, For=10.0.0.3"]);
        let addr = ClientAddr::resolve(&proxy(AddressHeader::Forwarded), ip("::1"), &h);
        assert_eq!(addr.ip, ip("2001:db8::7"));
        // The other header is not read.
        let h = headers("x-forwarded-for", &["203.0.113.9"]);
        assert_eq!(
            ClientAddr::resolve(&proxy(AddressHeader::Forwarded), ip("::1"), &h).ip,
            ip("::1")
        );
    }

    #[test]
    fn a_garbled_or_missing_header_counts_against_the_proxy() {
        let p = proxy(AddressHeader::XForwardedFor);
        let garbled = headers("x-forwarded-for", &["203.0.113.9, unknown"]);
        assert_eq!(ClientAddr::resolve(&p, ip("10.0.0.1"), &garbled).ip, ip("10.0.0.1"));
        assert_eq!(
            ClientAddr::resolve(&p, ip("10.0.0.1"), &HeaderMap::new()).ip,
            ip("10.0.0.1")
        );
        let h = headers("forwarded", &["for=_hidden"]);
        assert_eq!(
            ClientAddr::resolve(&proxy(AddressHeader::Forwarded), ip("10.0.0.1"), &h).ip,
            ip("10.0.0.1")
        );
    }

    #[test]
    fn only_proxies_all_the_way_is_the_leftmost() {
        let h = headers("x-forwarded-for", &["10.9.9.9, 10.0.0.2"]);
        assert_eq!(
            ClientAddr::resolve(&proxy(AddressHeader::XForwardedFor), ip("10.0.0.1"), &h).ip,
            ip("10.9.9.9")
        );
    }
}
