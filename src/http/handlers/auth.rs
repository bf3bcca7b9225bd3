//! `/api/auth`: login, refresh, logout, me, and the login screen's name list.

use serde::Deserialize;
use serde_json::json;

use crate::app::App;
use crate::error::Result;
use crate::http::io::{Req, Resp, no_content, ok};
use crate::http::router::Route;
use crate::http::views;
use crate::route;
use crate::service::staff;

pub fn routes() -> Vec<Route> {
    vec![
        route!(POST "/api/auth/login", Public, login),
        route!(GET "/api/auth/users", Public, users),
        route!(POST "/api/auth/refresh", Auth, refresh),
        route!(POST "/api/auth/logout", Auth, logout),
        route!(GET "/api/auth/me", Auth, me),
    ]
}

#[derive(Deserialize)]
struct Login {
    username: String,
    pin: String,
}

fn token_json(l: &staff::LoggedIn) -> serde_json::Value {
    json!({
        "access_token": l.token,
        "token_type": "bearer",
        "expires_at": l.expires_at.to_string(),
        "user": views::login_name(&l.user),
    })
}

async fn login(app: App, mut r: Req) -> Result<Resp> {
    let b: Login = r.json().await?;
    let l = staff::login(&app, r.peer, &b.username, &b.pin).await?;
    ok(token_json(&l))
}

async fn users(app: App, _r: Req) -> Result<Resp> {
    let v = staff::login_names(&app).await?;
    ok(json!(v.iter().map(views::login_name).collect::<Vec<_>>()))
}

async fn refresh(app: App, r: Req) -> Result<Resp> {
    let token = r.token.clone().unwrap_or_default();
    let l = staff::refresh(&app, &token, r.actor()?).await?;
    ok(token_json(&l))
}

async fn logout(app: App, r: Req) -> Result<Resp> {
    staff::logout(&app, r.token.as_deref().unwrap_or_default()).await?;
    no_content()
}

async fn me(_app: App, r: Req) -> Result<Resp> {
    let a = r.actor()?;
    let mut v = views::login_name(&a.user);
    v["assists"] = json!(a.assists);
    ok(v)
}
