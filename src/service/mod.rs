//! Use cases: one function per thing a client can ask, each running the domain rules inside
//! exactly one store transaction and publishing live events after the commit.
//!
//! Handlers call these with parsed input and an [`Actor`]; these never see HTTP.

pub mod floor;
pub mod license;
pub mod license_tasks;
pub mod menu;
pub mod orders;
pub mod printing;
pub mod reports;
pub mod staff;

use crate::domain::staff::{Role, User};
use crate::error::{Error, Result};
use crate::store::Reader;
use crate::store::tables::USERS;

/// The logged-in user making a request, plus the waiters they assist.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user: User,
    /// Ids of waiters whose assistant this user is.
    pub assists: Vec<u64>,
}

impl Actor {
    pub fn id(&self) -> u64 {
        self.user.id
    }
    pub fn role(&self) -> Role {
        self.user.role
    }
    pub fn is_manager(&self) -> bool {
        self.user.role.is_manager()
    }
    pub fn require_manager(&self) -> Result<()> {
        if self.is_manager() {
            Ok(())
        } else {
            Err(Error::forbidden("only a manager may do this"))
        }
    }
}

/// Load a user or 404.
pub fn user<R: Reader>(r: &R, id: u64) -> Result<User> {
    r.get::<User>(USERS, id)?
        .ok_or_else(|| Error::not_found("user", id))
}

/// Ids of the waiters `user_id` assists (users whose `assistant_id` is them).
pub fn assisted_by<R: Reader>(r: &R, user_id: u64) -> Result<Vec<u64>> {
    Ok(r.all::<User>(USERS)?
        .into_iter()
        .filter(|u| u.assistant_id == Some(user_id))
        .map(|u| u.id)
        .collect())
}
