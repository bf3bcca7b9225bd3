//! mDNS / DNS-SD (seed 002): phones find posd without anyone typing an address.
//!
//! Advertises `_pos._tcp` (TXT `version`, `api`, `docs`) and `_http._tcp` on the listening
//! port, both on the configured host name (default `pos.local`), and answers address queries
//! for that name with the machine's addresses on every interface (loopback included, so
//! the Pi itself and test namespaces resolve it too). The `mdns-sd` daemon runs on its own
//! thread; dropping [`Discovery`] sends goodbye packets and stops it.

use mdns_sd::{IfKind, ServiceDaemon, ServiceInfo};

pub const POS_SERVICE: &str = "_pos._tcp.local.";
pub const HTTP_SERVICE: &str = "_http._tcp.local.";

/// The running advertisement.
pub struct Discovery {
    daemon: ServiceDaemon,
    names: Vec<String>,
    pub host: String,
}

/// `pos`, `pos.local` or `pos.local.` → `pos.local.`; only letters, digits and '-' allowed.
pub fn host_name(configured: &str) -> Result<String, String> {
    let label = configured
        .trim_end_matches('.')
        .trim_end_matches(".local")
        .to_ascii_lowercase();
    let ok = !label.is_empty()
        && label.len() <= 63
        && !label.starts_with('-')
        && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if ok {
        Ok(format!("{label}.local."))
    } else {
        Err(format!(
            "mdns.hostname {configured:?} is not a valid host name (letters, digits, '-')"
        ))
    }
}

/// A DNS-SD instance name: at most 63 bytes, cut on a character boundary.
fn instance_name(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if out.len() + c.len_utf8() > 63 {
            break;
        }
        out.push(c);
    }
    if out.trim().is_empty() {
        "posd".into()
    } else {
        out
    }
}

impl Discovery {
    /// Start advertising `instance` on `port` under `hostname`.
    pub fn start(hostname: &str, instance: &str, port: u16) -> Result<Discovery, String> {
        let host = host_name(hostname)?;
        let daemon = ServiceDaemon::new().map_err(|e| format!("mDNS: {e}"))?;
        daemon
            .enable_interface(IfKind::LoopbackV4)
            .map_err(|e| format!("mDNS: {e}"))?;
        let bare = host.trim_end_matches('.');
        let docs = if port == 80 {
            format!("http://{bare}/docs")
        } else {
            format!("http://{bare}:{port}/docs")
        };
        let instance = instance_name(instance);
        let version = env!("CARGO_PKG_VERSION");
        let pos_txt = [
            ("version", version),
            ("api", "http"),
            ("docs", docs.as_str()),
        ];
        let http_txt = [("path", "/")];
        let mut names = Vec::new();
        for (ty, txt) in [(POS_SERVICE, &pos_txt[..]), (HTTP_SERVICE, &http_txt[..])] {
            let info = ServiceInfo::new(ty, &instance, &host, "", port, txt)
                .map_err(|e| format!("mDNS service {ty}: {e}"))?
                .enable_addr_auto();
            names.push(info.get_fullname().to_string());
            daemon
                .register(info)
                .map_err(|e| format!("mDNS register {ty}: {e}"))?;
        }
        tracing::info!(
            host = bare,
            port,
            "advertising {POS_SERVICE} and {HTTP_SERVICE} over mDNS"
        );
        Ok(Discovery {
            daemon,
            names,
            host,
        })
    }
}

impl Drop for Discovery {
    fn drop(&mut self) {
        for n in &self.names {
            let _ = self.daemon.unregister(n);
        }
        let _ = self.daemon.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_are_normalised_and_checked() {
        assert_eq!(host_name("pos").unwrap(), "pos.local.");
        assert_eq!(host_name("POS.local").unwrap(), "pos.local.");
        assert_eq!(host_name("bar-2.local.").unwrap(), "bar-2.local.");
        assert!(host_name("").is_err());
        assert!(host_name("my pos").is_err());
        assert!(host_name("-x").is_err());
    }

    #[test]
    fn instance_names_fit_dns_sd() {
        assert_eq!(instance_name(""), "posd");
        let long = "Ταβέρνα ".repeat(10);
        let n = instance_name(&long);
        assert!(n.len() <= 63 && long.starts_with(&n));
    }
}
