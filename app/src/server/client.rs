//! Which client a request comes from, for throttling and the audit log.

use ipnet::IpNet;
use std::net::IpAddr;

/// The client's address, as the request middleware worked it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

/// The client address of a request that reached Embark from `peer`: the
/// peer itself, unless the peer is a trusted proxy, in which case the
/// rightmost hop of `X-Forwarded-For` that is not a trusted proxy (hops to
/// its left were written by the client and prove nothing).
pub fn resolve(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |address: &IpAddr| trusted.iter().any(|net| net.contains(address));
    if !is_trusted(&peer) {
        return peer;
    }
    let mut nearest = peer;
    for hop in forwarded_for.unwrap_or_default().rsplit(',').map(str::trim).filter(|hop| !hop.is_empty()) {
        match hop.parse::<IpAddr>() {
            Ok(address) if is_trusted(&address) => nearest = address,
            Ok(address) => return address,
            // A hop that is not an address: nothing to its left can be believed.
            Err(_) => return nearest,
        }
    }
    nearest
}

/// `EMBARK_TRUSTED_PROXIES`: addresses or networks, comma-separated.
pub fn parse_trusted(raw: &str) -> Result<Vec<IpNet>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| item.parse::<IpNet>().or_else(|_| item.parse::<IpAddr>().map(IpNet::from)).map_err(|_| item.to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted = parse_trusted("10.0.0.0/8, 192.168.1.5").unwrap();
        // Straight from the internet: the header is the client's own words.
        assert_eq!(resolve(ip("203.0.113.9"), Some("198.51.100.1"), &trusted), ip("203.0.113.9"));
        // Through the load balancer: the hop it saw.
        assert_eq!(resolve(ip("10.0.0.2"), Some("198.51.100.1"), &trusted), ip("198.51.100.1"));
        // A client forging hops to the left is ignored: the rightmost untrusted one counts.
        assert_eq!(resolve(ip("10.0.0.2"), Some("1.2.3.4, 198.51.100.1, 192.168.1.5"), &trusted), ip("198.51.100.1"));
        // Nothing forwarded, or nothing believable: the nearest trusted hop.
        assert_eq!(resolve(ip("10.0.0.2"), None, &trusted), ip("10.0.0.2"));
        assert_eq!(resolve(ip("10.0.0.2"), Some("garbage, 10.0.0.7"), &trusted), ip("10.0.0.7"));
        // No proxies configured: always the socket.
        assert_eq!(resolve(ip("10.0.0.2"), Some("198.51.100.1"), &[]), ip("10.0.0.2"));
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks() {
        assert_eq!(parse_trusted("").unwrap(), vec![]);
        assert_eq!(parse_trusted("::1, 10.1.0.0/16").unwrap().len(), 2);
        assert_eq!(parse_trusted("10.0.0.1, proxy.internal").unwrap_err(), "proxy.internal");
    }
}
