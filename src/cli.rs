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

/// `posd license ...`: keygen, sign and verify are the sysadmin's offline tool; show and
/// install work on this appliance's (stopped) data folder.
pub fn license(config: Option<Config>, cmd: crate::license::cli::LicenseCmd) -> CliResult {
    use crate::license::cli::LicenseCmd;
    match (cmd, config) {
        (LicenseCmd::Show, Some(config)) => license_show(&config),
        (LicenseCmd::Install { file }, Some(config)) => license_install(&config, &file),
        (cmd, _) => {
            print!("{}", crate::license::cli::run_offline(cmd)?);
            Ok(())
        }
    }
}

/// The store of a data folder posd has already run on (never creates one by mistake).
fn open_existing(config: &Config) -> Result<Store, Box<dyn std::error::Error>> {
    if !config.data_dir.join(crate::store::DB_FILE).exists() {
        return Err(format!(
            "{} holds no posd database (wrong --data-dir or config? posd creates it on its \
             first start)",
            config.data_dir.display()
        )
        .into());
    }
    open(config)
}

/// `posd license show`: the site id, the verdict now and every stored field.
pub fn license_show(config: &Config) -> CliResult {
    use crate::license::{effective_now, verdict};
    let s = open_existing(config)?;
    let p = Parts::default();
    let now = p.clock.now().as_second();
    let state =
        s.write_blocking(|w| crate::service::license::load_or_create(w, p.rng.as_ref(), now))?;
    let at = effective_now(now, state.clock_high_water);
    let v = verdict(&state, at, config.trial_days, config.grace_hours);
    print!("{}", crate::license::cli::describe(&state, &v));
    println!(
        "License folder:   {}",
        config
            .data_dir
            .join(crate::service::license_tasks::FOLDER)
            .display()
    );
    Ok(())
}

/// `posd license install FILE`: verify and apply in one write transaction; on refusal
/// nothing is written.
pub fn license_install(config: &Config, file: &std::path::Path) -> CliResult {
    use crate::license::{Keyring, MAX_FILE_BYTES, apply, effective_now, verdict, verify};
    use crate::service::license::{load_or_create, save};
    let bytes = crate::license::cli::read_limited(file, MAX_FILE_BYTES)?;
    let verified = verify(&bytes, &Keyring::with_extra(&config.extra_keys)?)?;
    let s = open_existing(config)?;
    let p = Parts::default();
    let now = p.clock.now().as_second();
    let mut refused = None;
    let done = s.write_blocking(|w| {
        let mut state = load_or_create(w, p.rng.as_ref(), now)?;
        let at = effective_now(now, state.clock_high_water);
        match apply(&mut state, verified, at) {
            Ok(applied) => {
                save(w, &state)?;
                Ok((applied, state))
            }
            Err(e) => {
                let abort = Error::invalid(e.code(), e.to_string());
                refused = Some(e);
                Err(abort)
            }
        }
    });
    if let Some(e) = refused {
        return Err(e.into());
    }
    let (applied, state) = done?;
    let v = verdict(
        &state,
        effective_now(now, state.clock_high_water),
        config.trial_days,
        config.grace_hours,
    );
    println!(
        "{}",
        crate::service::license_tasks::describe_applied(&applied)
    );
    print!("{}", crate::license::cli::describe(&state, &v));
    Ok(())
}
