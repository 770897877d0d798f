//! The client's address, the one place it is decided: the direct peer, or — when that peer is
//! one of the configured trusted proxies (`--trusted-proxies`) — the nearest address in
//! `X-Forwarded-For` that is not itself a trusted proxy. A header from anyone else is
//! ignored, so it cannot be forged to dodge rate limits or to pose as many visitors.
//! Rate limits, unique visitors and fraud signals all use this address.

use std::net::{IpAddr, SocketAddr};

use actix_web::{web, HttpRequest};
use ipnet::IpNet;

use super::state::AppState;

/// Parses `CIDR,CIDR,…` (a bare address is one host).
pub fn parse_trusted(list: &str) -> Result<Vec<IpNet>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("'{s}' is not an address or CIDR range (e.g. 10.0.0.0/8)"))
        })
        .collect()
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

fn trusted(ip: IpAddr, proxies: &[IpNet]) -> bool {
    proxies.iter().any(|n| n.contains(&ip))
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`1.2.3.4:5`, `[::1]:5`).
fn parse_entry(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    s.parse::<IpAddr>()
        .ok()
        .or_else(|| s.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| {
            s.strip_prefix('[')
                .and_then(|r| r.strip_suffix(']'))
                .and_then(|r| r.parse().ok())
        })
        .map(canonical)
}

/// The client behind `peer`, given the `X-Forwarded-For` header values in order.
pub fn resolve<'a>(
    peer: IpAddr,
    forwarded: impl IntoIterator<Item = &'a str>,
    proxies: &[IpNet],
) -> IpAddr {
    let peer = canonical(peer);
    if !trusted(peer, proxies) {
        return peer;
    }
    let entries: Vec<&str> = forwarded.into_iter().flat_map(|h| h.split(',')).collect();
    // Right to left: each trusted proxy vouches for the address before it.
    let mut client = peer;
    for e in entries.iter().rev() {
        match parse_entry(e) {
            Some(ip) => {
                client = ip;
                if !trusted(ip, proxies) {
                    return ip;
                }
            }
            None => return client,
        }
    }
    client
}

/// The address a request comes from (see the module's description).
pub fn client_ip(req: &HttpRequest) -> IpAddr {
    let peer = req
        .peer_addr()
        .map(|a| a.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return canonical(peer);
    };
    let proxies = &state.settings.trusted_proxies;
    if proxies.is_empty() {
        return canonical(peer);
    }
    resolve(
        peer,
        req.headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok()),
        proxies,
    )
}

/// A short keyed hash of the caller's address: visitors from one device or address can be
/// counted without storing the address.
pub fn address_hash(state: &AppState, req: &HttpRequest) -> String {
    address_hash_of(state, req, client_ip(req))
}

/// [`address_hash`] for a client address already known (the address is written into the
/// hash from the stack, not a new string).
pub fn address_hash_of(state: &AppState, req: &HttpRequest, ip: IpAddr) -> String {
    use sha2::{Digest, Sha256};
    use std::io::Write;
    let mut text = [0u8; 48];
    let len = {
        let mut w = &mut text[..];
        let _ = write!(w, "{ip}");
        48 - w.len()
    };
    let ua = req
        .headers()
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut h = Sha256::new();
    h.update(state.settings.jwt_secrets[0].expose().as_bytes());
    h.update(&text[..len]);
    h.update(b"|");
    h.update(ua.as_bytes());
    data_encoding::HEXLOWER.encode(&h.finalize()[..12])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_only_from_trusted_peers() {
        let proxies = parse_trusted("10.0.0.0/8, 192.168.1.5").unwrap();
        // Not a trusted peer: the header is ignored.
        assert_eq!(
            resolve(ip("203.0.113.9"), ["1.2.3.4"], &proxies),
            ip("203.0.113.9")
        );
        // A trusted peer: the nearest untrusted address.
        assert_eq!(
            resolve(ip("10.1.2.3"), ["1.2.3.4"], &proxies),
            ip("1.2.3.4")
        );
        assert_eq!(
            resolve(ip("10.1.2.3"), ["6.6.6.6, 1.2.3.4, 192.168.1.5"], &proxies),
            ip("1.2.3.4"),
            "a client's own forged entry further left is not believed"
        );
        assert_eq!(
            resolve(ip("10.1.2.3"), ["6.6.6.6", "1.2.3.4:5678"], &proxies),
            ip("1.2.3.4")
        );
        assert_eq!(
            resolve(ip("10.1.2.3"), ["[2001:db8::1]:443"], &proxies),
            ip("2001:db8::1")
        );
        // Garbage stops the walk at the last address a proxy vouched for.
        assert_eq!(
            resolve(ip("10.1.2.3"), ["nonsense"], &proxies),
            ip("10.1.2.3")
        );
        assert_eq!(
            resolve(ip("10.1.2.3"), [] as [&str; 0], &proxies),
            ip("10.1.2.3")
        );
        // IPv4 peers seen as IPv6-mapped addresses still match IPv4 ranges.
        assert_eq!(
            resolve(ip("::ffff:10.0.0.1"), ["1.2.3.4"], &proxies),
            ip("1.2.3.4")
        );
        assert!(parse_trusted("10.0.0.0/33").is_err());
        assert!(parse_trusted("proxy.example").is_err());
        assert!(parse_trusted("").unwrap().is_empty());
    }
}
