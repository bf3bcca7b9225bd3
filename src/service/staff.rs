//! Staff use cases: login, sessions, and waiter management (seed 000's `/api/waiters`).

use std::net::IpAddr;

use jiff::Timestamp;

use super::{Actor, assisted_by, user};
use crate::app::App;
use crate::auth::{self, SESSION_LIFETIME, SESSION_REFRESH_EVERY};
use crate::domain::staff::{self, Role, User};
use crate::domain::text;
use crate::error::{Error, Kind, Result};
use crate::events::Change;
use crate::store::records::Session;
use crate::store::tables::USERS;
use crate::store::{Reader, Writer};

pub struct LoggedIn {
    pub token: String,
    pub user: User,
    pub expires_at: Timestamp,
}

/// Counter (in `meta`) of login attempts with a name that cannot log in.
const UNKNOWN_LOGINS: &str = "unknown_user_logins";

fn wrong_pin() -> Error {
    Error::unauthorized("bad_credentials", "wrong username or PIN")
}

/// Log in with username and PIN. Unknown user and wrong PIN answer alike and cost alike.
pub async fn login(app: &App, ip: IpAddr, username: &str, pin: &str) -> Result<LoggedIn> {
    let now = app.now();
    app.throttle.check(ip, now)?;
    let name = username.trim().to_lowercase();
    let found = app
        .store
        .read(move |r| match r.user_id_by_name(&name)? {
            Some(id) => r.get::<User>(USERS, id),
            None => Ok(None),
        })
        .await?;
    let found = found.filter(User::can_log_in);
    if let Some(u) = &found
        && let Some(until) = u.locked_at(now)
    {
        let mins = (until.duration_since(now).as_secs() + 59) / 60;
        return Err(Error::new(
            Kind::TooManyRequests,
            "account_locked",
            format!("too many wrong PINs: this account is locked for {mins} more minutes, or until a manager unlocks it"),
        )
        .with("retry_after", until.duration_since(now).as_secs()));
    }
    let ok = app
        .hasher
        .verify(pin.to_string(), found.as_ref().map(|u| u.pin_hash.clone()))
        .await?;
    let Some(u) = found else {
        app.throttle.failed(ip, now);
        // A wrong PIN costs a hash and a durable commit (its failure count); so must this,
        // or the commit's fsync tells an attacker which usernames exist.
        app.store
            .write(|w| w.next_id(UNKNOWN_LOGINS).map(|_| ()))
            .await?;
        return Err(wrong_pin());
    };
    if !ok {
        app.throttle.failed(ip, now);
        let id = u.id;
        app.store
            .write(move |w| {
                let mut u = user(w, id)?;
                u.record_failed_pin(now);
                w.put(USERS, id, &u)
            })
            .await?;
        tracing::warn!(USER = %u.username, CODE = "bad_credentials", "wrong PIN");
        return Err(wrong_pin());
    }
    app.throttle.succeeded(ip);
    // A hash made with an older (or other) cost is replaced now that the PIN is known, so
    // raising the cost in a new version reaches every account at its next login.
    let rehashed = if app.hasher.needs_rehash(&u.pin_hash) {
        Some(app.hasher.hash(pin.to_string(), app.rng.as_ref()).await?)
    } else {
        None
    };
    let (token, hash) = auth::new_token(app.rng.as_ref());
    let id = u.id;
    let verified_hash = u.pin_hash.clone();
    let expires_at = now + SESSION_LIFETIME;
    let u = app
        .store
        .write(move |w| {
            let mut u = user(w, id)?;
            u.record_good_pin();
            // Unless a manager reset the PIN in the meantime.
            if let Some(new) = rehashed
                && u.pin_hash == verified_hash
            {
                u.pin_hash = new;
            }
            w.put(USERS, id, &u)?;
            w.put_session(
                &hash,
                &Session {
                    user_id: id,
                    created_at: now,
                    expires_at,
                },
            )?;
            Ok(u)
        })
        .await?;
    tracing::info!(USER = %u.username, "logged in");
    Ok(LoggedIn {
        token,
        user: u,
        expires_at,
    })
}

/// Resolve a bearer token to the acting user; slides the session's expiry with activity.
pub async fn authenticate(app: &App, token: &str) -> Result<Actor> {
    let now = app.now();
    let hash = auth::token_hash(token);
    let (session, actor) = app
        .store
        .read(move |r| {
            let Some(s) = r.session(&hash)? else {
                return Ok((None, None));
            };
            let u = r.get::<User>(USERS, s.user_id)?;
            let assists = match &u {
                Some(u) => assisted_by(r, u.id)?,
                None => Vec::new(),
            };
            Ok((Some(s), u.map(|user| Actor { user, assists })))
        })
        .await?;
    let (Some(s), Some(actor)) = (session, actor) else {
        return Err(Error::unauthorized(
            "session_invalid",
            "please log in again",
        ));
    };
    if s.expires_at <= now
        || s.created_at < actor.user.sessions_valid_after
        || !actor.user.can_log_in()
    {
        return Err(Error::unauthorized(
            "session_expired",
            "your session has ended; please log in again",
        ));
    }
    if s.expires_at - SESSION_LIFETIME + SESSION_REFRESH_EVERY <= now {
        let slid = Session {
            expires_at: now + SESSION_LIFETIME,
            ..s
        };
        app.store
            .write(move |w| w.put_session(&hash, &slid))
            .await?;
    }
    Ok(actor)
}

/// Issue a fresh token for the same user and end the old one.
pub async fn refresh(app: &App, old_token: &str, actor: &Actor) -> Result<LoggedIn> {
    let now = app.now();
    let (token, hash) = auth::new_token(app.rng.as_ref());
    let old = auth::token_hash(old_token);
    let id = actor.id();
    let expires_at = now + SESSION_LIFETIME;
    app.store
        .write(move |w| {
            w.remove_session(&old)?;
            w.put_session(
                &hash,
                &Session {
                    user_id: id,
                    created_at: now,
                    expires_at,
                },
            )
        })
        .await?;
    Ok(LoggedIn {
        token,
        user: actor.user.clone(),
        expires_at,
    })
}

pub async fn logout(app: &App, token: &str) -> Result<()> {
    let hash = auth::token_hash(token);
    app.store.write(move |w| w.remove_session(&hash)).await
}

/// Everyone who can log in, for the login screen's name picker (no secrets).
pub async fn login_names(app: &App) -> Result<Vec<User>> {
    let mut v: Vec<User> = app
        .store
        .read(|r| r.all::<User>(USERS))
        .await?
        .into_iter()
        .filter(User::can_log_in)
        .collect();
    v.sort_by(|a, b| a.display_name.cmp(&b.display_name));
    Ok(v)
}

pub async fn list(app: &App, actor: &Actor) -> Result<Vec<User>> {
    actor.require_manager()?;
    Ok(app
        .store
        .read(|r| r.all::<User>(USERS))
        .await?
        .into_iter()
        .filter(|u| !u.deleted)
        .collect())
}

pub struct NewUser {
    pub username: String,
    pub display_name: Option<String>,
    pub role: Role,
    pub pin: String,
    pub hourly_rate: Option<i64>,
}

/// Create an account. Managers create waiters and managers; only a sysadmin creates a sysadmin.
pub async fn create(app: &App, actor: Option<&Actor>, n: NewUser) -> Result<User> {
    if let Some(a) = actor {
        a.require_manager()?;
        if n.role == Role::Sysadmin && a.role() != Role::Sysadmin {
            return Err(Error::forbidden("only a sysadmin may create a sysadmin"));
        }
    }
    let username = staff::username(&n.username)?;
    staff::pin(&n.pin)?;
    let display_name = text::name(
        "display_name",
        n.display_name.as_deref().unwrap_or(&username),
        40,
    )?;
    if let Some(r) = n.hourly_rate {
        crate::domain::money::amount("hourly_rate", r)?;
    }
    let pin_hash = app.hasher.hash(n.pin, app.rng.as_ref()).await?;
    let now = app.now();
    let limits = crate::service::license::limits(app);
    let u = app
        .store
        .write(move |w| {
            if w.user_id_by_name(&username)?.is_some() {
                return Err(Error::conflict(
                    "username_taken",
                    format!("username {username} is already taken"),
                ));
            }
            if n.role == Role::Waiter {
                crate::service::license::check_waiter_limit(w, &limits)?;
            }
            let id = w.next_id("users")?;
            let u = User {
                id,
                username: username.clone(),
                display_name,
                role: n.role,
                pin_hash,
                active: true,
                deleted: false,
                assistant_id: None,
                failed_pins: 0,
                locked_until: None,
                created_at: now,
                sessions_valid_after: now,
                hourly_rate: n.hourly_rate,
            };
            w.put(USERS, id, &u)?;
            w.set_user_name(&username, id)?;
            Ok(u)
        })
        .await?;
    app.publish(Change::Staff);
    Ok(u)
}

pub struct UserEdit {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub hourly_rate: Option<Option<i64>>,
}

/// What a change does to the user's sessions.
enum Sessions {
    Keep,
    /// End every session of the user (PIN reset, role change, block, delete).
    End,
}

/// Change a user under a manager's rules, in one transaction (`f` may change other records
/// in the same transaction). Sessions end when `f` says so, and whenever the user can no
/// longer log in.
async fn modify<F>(app: &App, actor: &Actor, id: u64, f: F) -> Result<User>
where
    F: FnOnce(&redb::WriteTransaction, &mut User) -> Result<Sessions> + Send + 'static,
{
    actor.require_manager()?;
    let now = app.now();
    let actor_role = actor.role();
    let u = app
        .store
        .write(move |w| {
            let mut u = user(w, id)?;
            if u.deleted {
                return Err(Error::not_found("user", id));
            }
            if u.role == Role::Sysadmin && actor_role != Role::Sysadmin {
                return Err(Error::forbidden("only a sysadmin may change a sysadmin"));
            }
            let was_live = u.can_log_in();
            let end = matches!(f(w, &mut u)?, Sessions::End);
            if end {
                u.revoke_sessions(now);
            }
            w.put(USERS, id, &u)?;
            if end || was_live && !u.can_log_in() {
                w.purge_sessions(Some(id), 0)?;
            }
            Ok(u)
        })
        .await?;
    app.publish(Change::Staff);
    Ok(u)
}

pub async fn edit(app: &App, actor: &Actor, id: u64, e: UserEdit) -> Result<User> {
    let name = e
        .display_name
        .as_deref()
        .map(|n| text::name("display_name", n, 40))
        .transpose()?;
    if let Some(Some(r)) = e.hourly_rate {
        crate::domain::money::amount("hourly_rate", r)?;
    }
    if e.role == Some(Role::Sysadmin) && actor.role() != Role::Sysadmin {
        return Err(Error::forbidden(
            "only a sysadmin may grant the sysadmin role",
        ));
    }
    if e.role == Some(Role::Waiter) {
        let limits = crate::service::license::limits(app);
        app.store
            .read(move |r| match user(r, id)?.role {
                Role::Waiter => Ok(()),
                _ => crate::service::license::check_waiter_limit(r, &limits),
            })
            .await?;
    }
    modify(app, actor, id, move |_, u| {
        if let Some(n) = name {
            u.display_name = n;
        }
        if let Some(h) = e.hourly_rate {
            u.hourly_rate = h;
        }
        match e.role {
            // A token must never carry a role its user no longer has.
            Some(r) if r != u.role => {
                u.role = r;
                Ok(Sessions::End)
            }
            _ => Ok(Sessions::Keep),
        }
    })
    .await
}

pub async fn reset_pin(app: &App, actor: &Actor, id: u64, pin: String) -> Result<User> {
    actor.require_manager()?;
    staff::pin(&pin)?;
    let hash = app.hasher.hash(pin, app.rng.as_ref()).await?;
    modify(app, actor, id, move |_, u| {
        u.pin_hash = hash;
        u.unlock();
        Ok(Sessions::End)
    })
    .await
}

pub async fn set_blocked(app: &App, actor: &Actor, id: u64, blocked: bool) -> Result<User> {
    if id == actor.id() && blocked {
        return Err(Error::conflict("self_block", "you cannot block yourself"));
    }
    modify(app, actor, id, move |_, u| {
        u.active = !blocked;
        Ok(if blocked {
            Sessions::End
        } else {
            Sessions::Keep
        })
    })
    .await
}

pub async fn unlock(app: &App, actor: &Actor, id: u64) -> Result<User> {
    modify(app, actor, id, |_, u| {
        u.unlock();
        Ok(Sessions::Keep)
    })
    .await
}

/// Soft delete: the name stays in history and stays reserved. Nobody keeps the deleted user
/// as assistant; all of it in one transaction.
pub async fn delete(app: &App, actor: &Actor, id: u64) -> Result<()> {
    if id == actor.id() {
        return Err(Error::conflict("self_delete", "you cannot delete yourself"));
    }
    modify(app, actor, id, move |w, u| {
        u.deleted = true;
        u.active = false;
        u.assistant_id = None;
        for mut other in w
            .all::<User>(USERS)?
            .into_iter()
            .filter(|o| o.id != id && o.assistant_id == Some(id))
        {
            other.assistant_id = None;
            w.put(USERS, other.id, &other)?;
        }
        Ok(Sessions::End)
    })
    .await?;
    Ok(())
}

/// Make `assistant_id` the assistant of waiter `id` (seed 000: B then manages A's tables).
pub async fn assign_assistant(
    app: &App,
    actor: &Actor,
    id: u64,
    assistant_id: u64,
) -> Result<User> {
    if id == assistant_id {
        return Err(Error::invalid(
            "self_assistant",
            "a waiter cannot assist themselves",
        ));
    }
    // Checked inside the write, so the assistant cannot be deleted between check and save.
    modify(app, actor, id, move |w, u| {
        let a = user(w, assistant_id)?;
        if !a.can_log_in() {
            return Err(Error::conflict(
                "assistant_inactive",
                format!("{} is blocked or deleted", a.username),
            ));
        }
        u.assistant_id = Some(assistant_id);
        Ok(Sessions::Keep)
    })
    .await
}

pub async fn remove_assistant(app: &App, actor: &Actor, id: u64) -> Result<User> {
    modify(app, actor, id, |_, u| {
        if u.assistant_id.is_none() {
            return Err(Error::not_found("assistant of user", u.id));
        }
        u.assistant_id = None;
        Ok(Sessions::Keep)
    })
    .await
}
