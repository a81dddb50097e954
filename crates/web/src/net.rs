//! Who is on the other end: networks given in the configuration (trusted reverse proxies,
//! who may read `/metrics`) and the client's address, taken from `X-Forwarded-For` only when
//! the connection comes from a trusted proxy.

use axum::http::HeaderMap;
use std::net::IpAddr;

/// An address with a prefix length (`10.0.0.0/8`, `::1/128`, or one address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Net(IpAddr, u8);

impl Net {
    pub fn parse(s: &str) -> Result<Net, String> {
        let s = s.trim();
        let (ip, len) = match s.split_once('/') {
            Some((ip, len)) => (ip, Some(len)),
            None => (s, None),
        };
        let ip: IpAddr = ip.parse().map_err(|_| format!("not an address: {s}"))?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let len = match len {
            Some(l) => l
                .parse::<u8>()
                .ok()
                .filter(|l| *l <= max)
                .ok_or_else(|| format!("bad prefix length: {s}"))?,
            None => max,
        };
        Ok(Net(ip, len))
    }

    /// A comma-separated list; empty gives none.
    pub fn parse_list(s: &str) -> Result<Vec<Net>, String> {
        s.split(',')
            .filter(|p| !p.trim().is_empty())
            .map(Net::parse)
            .collect()
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.0, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - self.1 as u32).unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX.checked_shl(128 - self.1 as u32).unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// Network settings of the web face.
#[derive(Debug, Clone, Default)]
pub struct NetConfig {
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<Net>,
    /// Who may read `/metrics` without a token.
    pub metrics_allow: Vec<Net>,
    /// A bearer token that opens `/metrics` from anywhere.
    pub metrics_token: Option<String>,
}

impl NetConfig {
    /// The client's address: the peer, or — when the peer is a trusted proxy — the last
    /// address in `X-Forwarded-For` that is not itself a trusted proxy.
    pub fn client_ip(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let peer = peer?;
        let trusted = |ip: IpAddr| self.trusted_proxies.iter().any(|n| n.contains(ip));
        if !trusted(peer) {
            return Some(peer);
        }
        let forwarded: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|p| p.trim().parse().ok())
            .collect();
        Some(
            forwarded
                .into_iter()
                .rev()
                .find(|ip| !trusted(*ip))
                .unwrap_or(peer),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_and_forwarded_addresses() {
        let n = Net::parse("10.0.0.0/8").expect("net");
        assert!(n.contains("10.1.2.3".parse().expect("ip")));
        assert!(!n.contains("11.0.0.1".parse().expect("ip")));
        assert!(Net::parse("::1")
            .expect("v6")
            .contains("::1".parse().expect("ip")));
        assert!(Net::parse("1.2.3.4/33").is_err());
        let cfg = NetConfig {
            trusted_proxies: Net::parse_list("10.0.0.1").expect("list"),
            ..NetConfig::default()
        };
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "6.6.6.6, 8.8.8.8".parse().expect("h"));
        let proxy = "10.0.0.1".parse().ok();
        let direct = "9.9.9.9".parse().ok();
        // Behind the proxy: the address the proxy saw (the last one), not what a client wrote.
        assert_eq!(cfg.client_ip(proxy, &h), "8.8.8.8".parse().ok());
        // Not through the proxy: the header is ignored.
        assert_eq!(cfg.client_ip(direct, &h), direct);
    }
}
