//! Staff: roles, accounts, PIN rules, lockouts and who may act on whose orders.

use jiff::{SignedDuration, Timestamp};

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Waiter,
    Manager,
    Sysadmin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Waiter => "waiter",
            Role::Manager => "manager",
            Role::Sysadmin => "sysadmin",
        }
    }

    pub fn parse(s: &str) -> Result<Role> {
        match s {
            "waiter" => Ok(Role::Waiter),
            "manager" => Ok(Role::Manager),
            "sysadmin" => Ok(Role::Sysadmin),
            other => Err(Error::invalid(
                "bad_role",
                format!("role must be waiter, manager or sysadmin, not {other:?}"),
            )),
        }
    }

    /// Managers and the sysadmin run the floor; seed 000: "manager can access everything".
    pub fn is_manager(self) -> bool {
        matches!(self, Role::Manager | Role::Sysadmin)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: u64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// PHC string (argon2id). Never leaves the process in a response or a log.
    pub pin_hash: String,
    /// False when a manager blocked the account.
    pub active: bool,
    /// Soft delete: history keeps the name, the account can no longer log in.
    pub deleted: bool,
    /// The waiter who assists this one (may manage all of this waiter's orders).
    pub assistant_id: Option<u64>,
    pub failed_pins: u32,
    pub locked_until: Option<Timestamp>,
    pub created_at: Timestamp,
    /// Bumped on PIN reset, block and delete; sessions minted before it are dead.
    pub sessions_valid_after: Timestamp,
    pub hourly_rate: Option<i64>,
}

/// Wrong PINs in a row before the account locks.
pub const MAX_FAILED_PINS: u32 = 5;
/// How long a lock lasts (a manager can lift it sooner).
pub const LOCKOUT: SignedDuration = SignedDuration::from_mins(15);

impl User {
    pub fn can_log_in(&self) -> bool {
        self.active && !self.deleted
    }

    pub fn locked_at(&self, now: Timestamp) -> Option<Timestamp> {
        self.locked_until.filter(|until| *until > now)
    }

    /// Count a wrong PIN; lock the account at the limit.
    pub fn record_failed_pin(&mut self, now: Timestamp) {
        if self.locked_until.is_some_and(|u| u <= now) {
            self.failed_pins = 0;
            self.locked_until = None;
        }
        self.failed_pins += 1;
        if self.failed_pins >= MAX_FAILED_PINS {
            self.locked_until = Some(now + LOCKOUT);
        }
    }

    pub fn record_good_pin(&mut self) {
        self.failed_pins = 0;
        self.locked_until = None;
    }

    pub fn unlock(&mut self) {
        self.record_good_pin();
    }

    /// Ends every session of this user (PIN reset, block, delete).
    pub fn revoke_sessions(&mut self, now: Timestamp) {
        self.sessions_valid_after = now;
    }
}

/// Usernames: 2..32 of a-z, 0-9, `.`, `_`, `-`; stored lower-case.
pub fn username(raw: &str) -> Result<String> {
    let u = raw.trim().to_lowercase();
    let ok_chars = u
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if u.len() < 2 || u.len() > 32 || !ok_chars {
        return Err(Error::invalid(
            "bad_username",
            "username must be 2 to 32 characters of a-z, 0-9, '.', '_' or '-'",
        ));
    }
    Ok(u)
}

/// PINs are 4 to 8 digits.
pub fn pin(raw: &str) -> Result<&str> {
    if raw.len() < 4 || raw.len() > 8 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid("bad_pin", "PIN must be 4 to 8 digits"));
    }
    Ok(raw)
}

/// Who may work on an order: seed 000's rule. A waiter reaches an order when they are one of
/// its waiters, or the assistant of one of its waiters; managers reach everything.
pub fn may_access_order(actor: &User, order_waiters: &[u64], assisted: &[u64]) -> bool {
    actor.role.is_manager()
        || order_waiters.contains(&actor.id)
        || order_waiters.iter().any(|w| assisted.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role) -> User {
        User {
            id: 7,
            username: "w".into(),
            display_name: "W".into(),
            role,
            pin_hash: String::new(),
            active: true,
            deleted: false,
            assistant_id: None,
            failed_pins: 0,
            locked_until: None,
            created_at: Timestamp::UNIX_EPOCH,
            sessions_valid_after: Timestamp::UNIX_EPOCH,
            hourly_rate: None,
        }
    }

    #[test]
    fn five_wrong_pins_lock_for_fifteen_minutes() {
        let mut u = user(Role::Waiter);
        let t0 = Timestamp::from_second(1_000_000).unwrap();
        for _ in 0..4 {
            u.record_failed_pin(t0);
        }
        assert!(u.locked_at(t0).is_none());
        u.record_failed_pin(t0);
        assert_eq!(u.locked_at(t0), Some(t0 + LOCKOUT));
        assert!(u.locked_at(t0 + LOCKOUT).is_none());
        // After the lock expires the count starts again.
        u.record_failed_pin(t0 + LOCKOUT);
        assert_eq!(u.failed_pins, 1);
    }

    #[test]
    fn usernames_and_pins() {
        assert_eq!(username(" Waiter01 ").unwrap(), "waiter01");
        assert!(username("a").is_err());
        assert!(username("bad name").is_err());
        assert!(pin("123").is_err());
        assert!(pin("123456789").is_err());
        assert!(pin("12a4").is_err());
        assert_eq!(pin("0000").unwrap(), "0000");
    }

    #[test]
    fn order_access_follows_seed_000() {
        let w = user(Role::Waiter);
        assert!(may_access_order(&w, &[7], &[]));
        assert!(!may_access_order(&w, &[8], &[]));
        // w assists waiter 8
        assert!(may_access_order(&w, &[8], &[8]));
        assert!(may_access_order(&user(Role::Manager), &[8], &[]));
    }
}
