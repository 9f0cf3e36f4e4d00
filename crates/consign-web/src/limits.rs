//! Per-client request rate limit: a fixed one-minute window per client address, in memory.
//! Each `consign serve` process limits on its own; behind a load balancer the effective limit
//! is per process, which is the point (protecting this process), not a billing quota.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;

#[derive(Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<(IpAddr, bool), (u64, u32)>>,
}

impl RateLimiter {
    /// Counts a request; `Err(seconds until the window resets)` when over `limit`.
    pub fn check(&self, ip: IpAddr, login: bool, limit: u32, now_secs: u64) -> Result<(), u64> {
        if limit == 0 {
            return Ok(());
        }
        let window = now_secs / 60;
        let mut map = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 100_000 {
            map.retain(|_, (w, _)| *w == window);
        }
        let entry = map.entry((ip, login)).or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        entry.1 += 1;
        if entry.1 > limit {
            Err(60 - now_secs % 60)
        } else {
            Ok(())
        }
    }
}

pub async fn rate_limit(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let path = req.uri().path();
    let login = path == "/api/v1/session" || path == "/login";
    let limit = if login {
        st.cfg.login_per_minute
    } else {
        st.cfg.requests_per_minute
    };
    let now = jiff::Timestamp::now().as_second().max(0) as u64;
    if let Err(retry) = st.limiter.check(ip, login, limit, now) {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "Too many requests",
            format!("more than {limit} requests per minute from this address"),
        );
        e.retry_after = Some(retry);
        return e.into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_counts_and_resets() {
        let l = RateLimiter::default();
        let ip = IpAddr::from([10, 0, 0, 1]);
        assert!(l.check(ip, false, 2, 120).is_ok());
        assert!(l.check(ip, false, 2, 121).is_ok());
        assert_eq!(l.check(ip, false, 2, 125), Err(55));
        assert!(
            l.check(ip, true, 2, 125).is_ok(),
            "login has its own bucket"
        );
        assert!(l.check(ip, false, 2, 180).is_ok(), "next minute resets");
        assert!(l.check(ip, false, 0, 180).is_ok(), "0 disables the limit");
    }
}
