//! The subcommands behind `main`: serving, and admin commands on a stopped data folder.

use crate::config::Config;
use crate::domain::staff::{Role, User};
use crate::error::Error;
use crate::store::tables::USERS;
use crate::store::{Reader, Store, Writer};
use crate::{Parts, RunError, demo};

pub type CliResult = Result<(), Box<dyn std::error::Error>>;

fn runtime() -> Result<tokio::runtime::Runtime, std::io::Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

/// `posd serve`: bind, run until SIGTERM or Ctrl-C, drain.
pub fn serve(config: Config) -> CliResult {
    let rt = runtime()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
        let addr = listener.local_addr()?;
        if config.demo {
            print_demo_banner(addr);
        }
        let shutdown = async {
            let mut term =
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(s) => s,
                    Err(_) => return std::future::pending().await,
                };
            tokio::select! {
                _ = term.recv() => tracing::info!("SIGTERM: shutting down"),
                _ = tokio::signal::ctrl_c() => tracing::info!("Ctrl-C: shutting down"),
            }
        };
        crate::run(config, listener, shutdown, Parts::default())
            .await
            .map_err(|e: RunError| e.into())
    })
}

fn print_demo_banner(addr: std::net::SocketAddr) {
    let host = if addr.ip().is_unspecified() {
        "localhost".to_string()
    } else {
        addr.ip().to_string()
    };
    println!("posd demo restaurant");
    println!("  open   http://{host}:{}/", addr.port());
    println!(
        "  logins manager, sysadmin, waiter01 .. waiter20 — PIN {}",
        demo::DEMO_PIN
    );
}

fn open(config: &Config) -> Result<Store, Box<dyn std::error::Error>> {
    std::fs::create_dir_all(&config.data_dir)?;
    Store::open(&config.data_dir)
        .map_err(|e| format!("{e} (is posd running on this data folder? stop it first)").into())
}

/// `posd demo`: seed without serving.
pub fn demo(config: Config) -> CliResult {
    let s = open(&config)?;
    let p = Parts::default();
    if demo::seed(&s, &p.hasher, p.rng.as_ref(), p.clock.now())? {
        println!("demo restaurant written to {}", config.data_dir.display());
    } else {
        println!(
            "{} already has data; nothing changed",
            config.data_dir.display()
        );
    }
    Ok(())
}

pub fn user_add(
    config: Config,
    name: &str,
    role: &str,
    pin: &str,
    display_name: Option<String>,
) -> CliResult {
    let role = Role::parse(role)?;
    let username = crate::domain::staff::username(name)?;
    crate::domain::staff::pin(pin)?;
    let s = open(&config)?;
    let p = Parts::default();
    let hash = p
        .hasher
        .hash_blocking(pin, &crate::clock::random_bytes(p.rng.as_ref()))?;
    let now = p.clock.now();
    let display = display_name.unwrap_or_else(|| username.clone());
    let id = s.write_blocking(|w| {
        if w.user_id_by_name(&username)?.is_some() {
            return Err(Error::conflict(
                "username_taken",
                format!("username {username} is already taken"),
            ));
        }
        let id = w.next_id("users")?;
        let u = User {
            id,
            username: username.clone(),
            display_name: display,
            role,
            pin_hash: hash,
            active: true,
            deleted: false,
            assistant_id: None,
            failed_pins: 0,
            locked_until: None,
            created_at: now,
            sessions_valid_after: now,
            hourly_rate: None,
        };
        w.put(USERS, id, &u)?;
        w.set_user_name(&username, id)?;
        Ok(id)
    })?;
    println!("added {username} ({}) with id {id}", role.as_str());
    Ok(())
}

pub fn user_list(config: Config) -> CliResult {
    let s = open(&config)?;
    for u in s.read_blocking(|r| r.all::<User>(USERS))? {
        let state = if u.deleted {
            "deleted"
        } else if !u.active {
            "blocked"
        } else {
            "active"
        };
        println!(
            "{:>4}  {:<16} {:<9} {:<8} {}",
            u.id,
            u.username,
            u.role.as_str(),
            state,
            u.display_name
        );
    }
    Ok(())
}

pub fn user_reset_pin(config: Config, name: &str, pin: &str) -> CliResult {
    crate::domain::staff::pin(pin)?;
    let s = open(&config)?;
    let p = Parts::default();
    let hash = p
        .hasher
        .hash_blocking(pin, &crate::clock::random_bytes(p.rng.as_ref()))?;
    let now = p.clock.now();
    let name = name.trim().to_lowercase();
    s.write_blocking(|w| {
        let id = w
            .user_id_by_name(&name)?
            .ok_or_else(|| Error::not_found("user", &name))?;
        let mut u = crate::service::user(w, id)?;
        u.pin_hash = hash;
        u.unlock();
        u.revoke_sessions(now);
        w.put(USERS, id, &u)?;
        w.purge_sessions(Some(id), 0).map(|_| ())
    })?;
    println!("PIN of {name} reset; the account is unlocked and its sessions ended");
    Ok(())
}
