//! Finding ESC/POS network printers (seed 002): an mDNS browse for `_pdl-datastream._tcp` and
//! `_printer._tcp`, and, when asked, a probe of the raw printing port on the local subnets.
//!
//! Invariants: the whole search is bounded by one time window, however many hosts there are;
//! the probe only lists hosts that answer a real `DLE EOT` status request (an open port alone
//! is not a printer), with their state; what is probed comes from the caller (the subnets are
//! injectable, so tests only ever touch loopback).

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::transport::{self, Timeouts};

/// mDNS service types of network printers: raw port 9100 (JetDirect) and LPD.
pub const MDNS_TYPES: [&str; 2] = ["_pdl-datastream._tcp.local.", "_printer._tcp.local."];

/// At most this many addresses are probed in one search (a /22 at one port).
pub const MAX_TARGETS: usize = 1024;

/// Probes in flight at once.
const PARALLEL: usize = 128;

/// A printer found on the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub host: IpAddr,
    pub port: u16,
    /// mDNS instance name ("EPSON TM-T20III").
    pub name: Option<String>,
    /// Model from the mDNS TXT record (`ty` or `product`).
    pub model: Option<String>,
    /// "mdns", "probe" or "mdns+probe".
    pub source: String,
    /// Status summary when the printer answered `DLE EOT` ("ready", "paper out").
    pub status: Option<String>,
}

/// What to search.
#[derive(Debug, Clone)]
pub struct Search {
    pub mdns: bool,
    /// Probe these (network, prefix) subnets, on `ports`.
    pub subnets: Vec<(Ipv4Addr, u8)>,
    pub ports: Vec<u16>,
    pub window: Duration,
}

/// The /24 subnets of this machine's IPv4 interfaces (loopback excluded).
pub fn local_subnets() -> Vec<(Ipv4Addr, u8)> {
    let Ok(addrs) = nix::ifaddrs::getifaddrs() else {
        return Vec::new();
    };
    let mut out: Vec<(Ipv4Addr, u8)> = addrs
        .filter_map(|a| a.address.and_then(|s| s.as_sockaddr_in().map(|s| s.ip())))
        .filter(|ip| !ip.is_loopback() && !ip.is_link_local() && !ip.is_unspecified())
        .map(|ip| {
            let [a, b, c, _] = ip.octets();
            (Ipv4Addr::new(a, b, c, 0), 24)
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Host addresses of a subnet. Prefixes shorter than /24 are narrowed to the /24 of the given
/// address (a bounded probe); /31 and /32 are the addresses themselves.
pub fn hosts((net, prefix): (Ipv4Addr, u8)) -> Vec<Ipv4Addr> {
    let prefix = prefix.clamp(24, 32);
    let mask = u32::MAX << (32 - u32::from(prefix));
    let base = u32::from(net) & mask;
    let size = 1u32 << (32 - u32::from(prefix));
    if size <= 2 {
        return (0..size).map(|i| Ipv4Addr::from(base + i)).collect();
    }
    (1..size - 1).map(|i| Ipv4Addr::from(base + i)).collect()
}

/// Runs the search; returns printers sorted by address.
pub async fn discover(s: Search) -> Vec<Found> {
    let mdns = async {
        if !s.mdns {
            return Vec::new();
        }
        let window = s.window;
        tokio::task::spawn_blocking(move || browse(window))
            .await
            .unwrap_or_default()
    };
    let (mut found, probed) = tokio::join!(mdns, probe_all(&s));
    for p in probed {
        match found
            .iter_mut()
            .find(|f| f.host == p.host && f.port == p.port)
        {
            Some(f) => {
                f.status = p.status;
                f.source = "mdns+probe".into();
            }
            None => found.push(p),
        }
    }
    found.sort_by_key(|a| (a.host, a.port));
    found
}

/// `DLE EOT` every address × port, in parallel, within the window.
async fn probe_all(s: &Search) -> Vec<Found> {
    let mut targets: Vec<SocketAddr> = Vec::new();
    'fill: for net in &s.subnets {
        for ip in hosts(*net) {
            for &port in &s.ports {
                if targets.len() >= MAX_TARGETS {
                    tracing::warn!(
                        "printer discovery probes only the first {MAX_TARGETS} addresses"
                    );
                    break 'fill;
                }
                targets.push(SocketAddr::new(IpAddr::V4(ip), port));
            }
        }
    }
    if targets.is_empty() {
        return Vec::new();
    }
    // Each probe must fit in the window: connect in at most half of it.
    let t = Timeouts {
        connect: (s.window / 2).min(Duration::from_millis(800)),
        status: (s.window / 4).min(Duration::from_millis(500)),
        write: (s.window / 4).min(Duration::from_millis(500)),
    };
    let slots = Arc::new(Semaphore::new(PARALLEL));
    let mut set = JoinSet::new();
    for addr in targets {
        let slots = slots.clone();
        set.spawn(async move {
            let _slot = slots.acquire_owned().await.ok()?;
            let h = transport::probe(addr, &t).await.ok()?;
            Some(Found {
                host: addr.ip(),
                port: addr.port(),
                name: None,
                model: None,
                source: "probe".into(),
                status: Some(h.summary()),
            })
        });
    }
    let mut out = Vec::new();
    let collect = async {
        while let Some(r) = set.join_next().await {
            if let Ok(Some(f)) = r {
                out.push(f);
            }
        }
    };
    // Probes still running when the window closes are dropped with the set.
    let _ = tokio::time::timeout(s.window, collect).await;
    out
}

/// Blocking mDNS browse for `window`.
fn browse(window: Duration) -> Vec<Found> {
    let daemon = match mdns_sd::ServiceDaemon::new() {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(error = %e, "mDNS is not available for printer discovery");
            return Vec::new();
        }
    };
    let receivers: Vec<_> = MDNS_TYPES
        .iter()
        .filter_map(|ty| daemon.browse(ty).ok())
        .collect();
    let deadline = std::time::Instant::now() + window;
    let mut found: BTreeMap<(IpAddr, u16), Found> = BTreeMap::new();
    while std::time::Instant::now() < deadline {
        for rx in &receivers {
            let slice = (std::time::Instant::now() + Duration::from_millis(50)).min(deadline);
            while let Ok(ev) = rx.recv_deadline(slice) {
                if let mdns_sd::ServiceEvent::ServiceResolved(info) = ev {
                    let name = info.get_fullname().split("._").next().map(str::to_string);
                    let model = info
                        .get_property_val_str("ty")
                        .or_else(|| info.get_property_val_str("product"))
                        .map(|m| m.trim_matches(|c| c == '(' || c == ')').to_string());
                    for ip in info.get_addresses() {
                        found.entry((*ip, info.get_port())).or_insert(Found {
                            host: *ip,
                            port: info.get_port(),
                            name: name.clone(),
                            model: model.clone(),
                            source: "mdns".into(),
                            status: None,
                        });
                    }
                }
            }
        }
    }
    if let Err(e) = daemon.shutdown() {
        tracing::debug!(error = %e, "mDNS browse shutdown");
    }
    found.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnets_expand_to_their_hosts() {
        let h = hosts((Ipv4Addr::new(192, 168, 1, 77), 24));
        assert_eq!(h.len(), 254);
        assert_eq!(h[0], Ipv4Addr::new(192, 168, 1, 1));
        assert_eq!(h[253], Ipv4Addr::new(192, 168, 1, 254));
        assert_eq!(
            hosts((Ipv4Addr::new(127, 0, 0, 1), 32)),
            vec![Ipv4Addr::new(127, 0, 0, 1)]
        );
        assert_eq!(hosts((Ipv4Addr::new(10, 0, 0, 0), 30)).len(), 2);
        assert_eq!(
            hosts((Ipv4Addr::new(10, 1, 2, 3), 8)).len(),
            254,
            "wide subnets are narrowed to a /24"
        );
    }
}
