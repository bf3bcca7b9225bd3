//! Configuration: the TOML file (default `/etc/posd/posd.toml`) overridden by flags, validated
//! once into an immutable [`Config`].
//!
//! Two stages, as in ripgrep: [`FileConfig`] is what the file says (every field optional,
//! unknown keys refused so a typo is an error, not a silent default); [`Config`] is the
//! checked result every other module reads.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::tz::TimeZone;
use serde::Deserialize;

pub const DEFAULT_CONFIG: &str = "/etc/posd/posd.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Address and port to serve on, e.g. "0.0.0.0:80".
    pub listen: Option<String>,
    pub restaurant: Option<RestaurantFile>,
    pub storage: Option<StorageFile>,
    pub http: Option<HttpFile>,
    pub license: Option<LicenseFile>,
    pub print: Option<PrintFile>,
    pub mdns: Option<MdnsFile>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestaurantFile {
    pub name: Option<String>,
    /// IANA time zone, e.g. "Europe/Athens". Default: the system's.
    pub timezone: Option<String>,
    /// Hour a business day starts (0-23). Default 4.
    pub day_cutoff_hour: Option<i8>,
    /// Printed after amounts on tickets, e.g. "€". Default "€".
    pub currency: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageFile {
    /// Mount point of the USB data drive. Default "/media/posdata".
    pub mount: Option<PathBuf>,
    /// Expected file-system label (shown while waiting). Default "POSDATA".
    pub label: Option<String>,
    /// If set, this file must exist on the drive, or posd refuses the stick.
    pub marker: Option<String>,
    /// Give up waiting for the drive after this many seconds (0 = wait forever).
    pub wait_secs: Option<u64>,
    /// Refuse new orders below this much free space, in MiB. Default 64.
    pub min_free_mib: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpFile {
    pub max_body_kib: Option<usize>,
    pub max_header_kib: Option<usize>,
    pub header_timeout_secs: Option<u64>,
    pub idle_timeout_secs: Option<u64>,
    pub max_connections: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LicenseFile {
    /// Days a new appliance runs without a license (0 = no trial). Default 14.
    pub trial_days: Option<u32>,
    /// Hours an expired license keeps working. Default 24.
    pub grace_hours: Option<u32>,
    /// Optional check-in URL for newer signed license files (every 6 hours).
    pub url: Option<String>,
    /// Extra trusted vendor public keys (base64), beyond the compiled-in ones.
    pub extra_keys: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrintFile {
    /// Jobs older than this are held for a manager instead of printing. Default 30.
    pub hold_after_mins: Option<u64>,
    /// Move jobs to the zone's backup printer after the main one is down this long. Default 60.
    pub failover_after_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MdnsFile {
    pub enabled: Option<bool>,
    /// Host name to answer for, without ".local". Default "pos".
    pub hostname: Option<String>,
}

/// Flags that override the file (from the command line).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub data_dir: Option<PathBuf>,
    pub listen: Option<String>,
    pub demo: bool,
}

/// The validated configuration. Immutable once built.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    /// Where the database lives.
    pub data_dir: PathBuf,
    /// When set, posd waits for this to be a real mount before opening the store.
    pub mount: Option<MountConfig>,
    pub min_free_bytes: u64,
    pub restaurant_name: String,
    pub tz: TimeZone,
    pub tz_name: String,
    pub day_cutoff_hour: i8,
    pub currency: String,
    pub http: HttpLimits,
    pub trial_days: u32,
    pub grace_hours: u32,
    pub license_url: Option<String>,
    pub extra_keys: Vec<String>,
    pub hold_after: Duration,
    pub failover_after: Duration,
    pub mdns: Option<String>,
    pub demo: bool,
    /// Print spool timing and printer discovery (built-in defaults; tests shorten them).
    pub print: PrintTuning,
}

/// Spool and discovery settings that are not in the file: the defaults suit a restaurant LAN;
/// tests shorten the timings and confine discovery to loopback.
#[derive(Debug, Clone)]
pub struct PrintTuning {
    /// First wait before retrying a failed job; doubles up to `retry_max`.
    pub retry_first: Duration,
    pub retry_max: Duration,
    /// How often an idle printer's status is asked, so its state on the phones stays true.
    pub probe_every: Duration,
    /// Transport deadlines: TCP connect, one status round trip, one stalled write.
    pub connect_timeout: Duration,
    pub status_timeout: Duration,
    pub write_timeout: Duration,
    /// On shutdown, how long a send in progress may take to finish before it is cut off (its
    /// job is then printed again, marked REPRINT, after the restart).
    pub stop_grace: Duration,
    /// Browse mDNS for printers in discovery.
    pub discover_mdns: bool,
    /// Subnets (network address, prefix length) probed for ESC/POS printers when asked;
    /// `None` means the /24 of each IPv4 address of this machine's interfaces.
    pub discover_subnets: Option<Vec<(Ipv4Addr, u8)>>,
    /// Ports probed on each address (raw ESC/POS: 9100).
    pub discover_ports: Vec<u16>,
    /// Upper bound on one discovery request.
    pub discover_window: Duration,
}

impl Default for PrintTuning {
    fn default() -> Self {
        PrintTuning {
            retry_first: Duration::from_secs(1),
            retry_max: Duration::from_secs(30),
            probe_every: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(3),
            status_timeout: Duration::from_secs(2),
            write_timeout: Duration::from_secs(5),
            stop_grace: Duration::from_secs(3),
            discover_mdns: true,
            discover_subnets: None,
            discover_ports: vec![9100],
            discover_window: Duration::from_secs(2),
        }
    }
}

#[derive(Debug, Clone)]
pub struct MountConfig {
    pub path: PathBuf,
    pub label: String,
    pub marker: Option<String>,
    pub wait: Option<Duration>,
}

#[derive(Debug, Clone)]
pub struct HttpLimits {
    pub max_body: usize,
    pub max_header: usize,
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            max_body: 4 << 20,
            max_header: 16 << 10,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(75),
            max_connections: 1024,
        }
    }
}

#[derive(Debug)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for ConfigError {}

impl Config {
    /// Read the file (a missing default file is fine; a missing named file is not) and apply
    /// the flags.
    pub fn load(path: Option<&Path>, o: &Overrides) -> Result<Config, ConfigError> {
        let (path, must_exist) = match path {
            Some(p) => (p.to_path_buf(), true),
            None => (PathBuf::from(DEFAULT_CONFIG), false),
        };
        let file = match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str::<FileConfig>(&text)
                .map_err(|e| ConfigError(format!("{}: {e}", path.display())))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => {
                FileConfig::default()
            }
            Err(e) => return Err(ConfigError(format!("cannot read {}: {e}", path.display()))),
        };
        Config::build(file, o)
    }

    pub fn build(f: FileConfig, o: &Overrides) -> Result<Config, ConfigError> {
        let listen_s = o
            .listen
            .clone()
            .or(f.listen)
            .unwrap_or_else(|| "0.0.0.0:8000".into());
        let listen: SocketAddr = listen_s.parse().map_err(|_| {
            ConfigError(format!(
                "listen must be ADDRESS:PORT like 0.0.0.0:80, not {listen_s:?}"
            ))
        })?;
        let r = f.restaurant.unwrap_or_default();
        let (tz, tz_name) = match r.timezone {
            Some(name) => (
                TimeZone::get(&name)
                    .map_err(|e| ConfigError(format!("unknown time zone {name:?}: {e}")))?,
                name,
            ),
            None => {
                let tz = TimeZone::try_system().unwrap_or(TimeZone::UTC);
                let name = tz.iana_name().unwrap_or("UTC").to_string();
                (tz, name)
            }
        };
        let cutoff = r.day_cutoff_hour.unwrap_or(4);
        if !(0..=23).contains(&cutoff) {
            return Err(ConfigError(
                "restaurant.day_cutoff_hour must be 0 to 23".into(),
            ));
        }
        let s = f.storage.unwrap_or_default();
        let mount_path = s.mount.unwrap_or_else(|| PathBuf::from("/media/posdata"));
        // --data-dir means "a plain folder": development and the demo skip the mount check.
        let (data_dir, mount) = match &o.data_dir {
            Some(d) => (d.clone(), None),
            None => (
                mount_path.clone(),
                Some(MountConfig {
                    path: mount_path,
                    label: s.label.unwrap_or_else(|| "POSDATA".into()),
                    marker: s.marker,
                    wait: s.wait_secs.filter(|s| *s > 0).map(Duration::from_secs),
                }),
            ),
        };
        let h = f.http.unwrap_or_default();
        let d = HttpLimits::default();
        let http = HttpLimits {
            max_body: h.max_body_kib.map(|k| k << 10).unwrap_or(d.max_body),
            max_header: h.max_header_kib.map(|k| k << 10).unwrap_or(d.max_header),
            header_timeout: h
                .header_timeout_secs
                .map(Duration::from_secs)
                .unwrap_or(d.header_timeout),
            idle_timeout: h
                .idle_timeout_secs
                .map(Duration::from_secs)
                .unwrap_or(d.idle_timeout),
            max_connections: h.max_connections.unwrap_or(d.max_connections),
        };
        if http.max_body < 1024 || http.max_header < 1024 || http.max_connections == 0 {
            return Err(ConfigError(
                "http limits are too small to serve anything".into(),
            ));
        }
        let l = f.license.unwrap_or_default();
        let p = f.print.unwrap_or_default();
        let m = f.mdns.unwrap_or_default();
        Ok(Config {
            listen,
            data_dir,
            mount,
            min_free_bytes: s.min_free_mib.unwrap_or(64) << 20,
            restaurant_name: r.name.unwrap_or_else(|| "posd".into()),
            tz,
            tz_name,
            day_cutoff_hour: cutoff,
            currency: r.currency.unwrap_or_else(|| "€".into()),
            http,
            trial_days: l.trial_days.unwrap_or(14),
            grace_hours: l.grace_hours.unwrap_or(24),
            license_url: l.url,
            extra_keys: l.extra_keys.unwrap_or_default(),
            hold_after: Duration::from_secs(p.hold_after_mins.unwrap_or(30) * 60),
            failover_after: Duration::from_secs(p.failover_after_secs.unwrap_or(60)),
            mdns: if m.enabled.unwrap_or(true) {
                Some(m.hostname.unwrap_or_else(|| "pos".into()))
            } else {
                None
            },
            demo: o.demo,
            print: PrintTuning::default(),
        })
    }

    /// A config for tests and embedding: a plain data folder, loopback, no mDNS.
    pub fn for_dir(dir: &Path) -> Config {
        let o = Overrides {
            data_dir: Some(dir.to_path_buf()),
            listen: Some("127.0.0.1:0".into()),
            demo: false,
        };
        let mut c =
            Config::build(FileConfig::default(), &o).expect("the built-in defaults are valid");
        c.mdns = None;
        c.tz = TimeZone::UTC;
        c.tz_name = "UTC".into();
        // Tests and embedders never browse or probe real networks unless they ask to.
        c.print.discover_mdns = false;
        c.print.discover_subnets = Some(Vec::new());
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_in_the_file_are_errors() {
        let e = toml::from_str::<FileConfig>("lisen = \"0.0.0.0:80\"").unwrap_err();
        assert!(e.to_string().contains("lisen"));
    }

    #[test]
    fn flags_override_the_file_and_data_dir_skips_the_mount() {
        let f: FileConfig = toml::from_str(
            "listen = \"0.0.0.0:80\"\n[restaurant]\ntimezone = \"Europe/Athens\"\n[storage]\nmount = \"/media/x\"\n",
        )
        .unwrap();
        let c = Config::build(f, &Overrides::default()).unwrap();
        assert_eq!(c.listen.port(), 80);
        assert_eq!(c.mount.as_ref().unwrap().path, PathBuf::from("/media/x"));
        let o = Overrides {
            data_dir: Some("/tmp/d".into()),
            listen: Some("127.0.0.1:9".into()),
            demo: true,
        };
        let c = Config::build(FileConfig::default(), &o).unwrap();
        assert!(c.mount.is_none());
        assert_eq!(c.listen.port(), 9);
        assert!(
            Config::build(
                FileConfig::default(),
                &Overrides {
                    listen: Some("nope".into()),
                    ..Default::default()
                }
            )
            .is_err()
        );
    }
}
