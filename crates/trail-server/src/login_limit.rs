//! Sign-in attempts are limited per account and per client address, so that passwords cannot be
//! guessed at speed: past the limit, `POST /v1/auth/login` answers 429 with `Retry-After`.
//!
//! Fixed windows kept in memory on each node (several nodes each apply the limit).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many attempts fit in a window.
#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    /// Failed sign-ins per account (email) per window.
    pub per_account: u32,
    /// Sign-in attempts per client address per window.
    pub per_ip: u32,
    pub window: Duration,
}

impl Default for LoginLimits {
    fn default() -> Self {
        LoginLimits {
            per_account: 5,
            per_ip: 20,
            window: Duration::from_secs(15 * 60),
        }
    }
}

#[derive(Debug, Default)]
pub struct LoginLimiter {
    limits: LoginLimits,
    counts: Mutex<HashMap<String, (Instant, u32)>>,
}

impl LoginLimiter {
    pub fn new(limits: LoginLimits) -> LoginLimiter {
        LoginLimiter {
            limits,
            counts: Mutex::default(),
        }
    }

    /// Counts an attempt from `ip`; `Err(retry_after)` once the address is over its limit or the
    /// account has failed too often.
    pub fn attempt(&self, email: &str, ip: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let mut counts = self.counts.lock().expect("limiter lock");
        counts.retain(|_, (start, _)| now.duration_since(*start) < self.limits.window);
        let entry = counts.entry(format!("ip:{ip}")).or_insert((now, 0));
        entry.1 += 1;
        if entry.1 > self.limits.per_ip {
            return Err(self.limits.window - now.duration_since(entry.0));
        }
        match counts.get(&account_key(email)) {
            Some((start, failures)) if *failures >= self.limits.per_account => {
                Err(self.limits.window - now.duration_since(*start))
            }
            _ => Ok(()),
        }
    }

    /// Counts a failed sign-in of `email`.
    pub fn failed(&self, email: &str) {
        let mut counts = self.counts.lock().expect("limiter lock");
        counts
            .entry(account_key(email))
            .or_insert((Instant::now(), 0))
            .1 += 1;
    }

    /// Forgets an account's failures after a successful sign-in.
    pub fn succeeded(&self, email: &str) {
        self.counts
            .lock()
            .expect("limiter lock")
            .remove(&account_key(email));
    }
}

fn account_key(email: &str) -> String {
    format!("account:{}", email.trim().to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_lock_after_failures_and_addresses_after_attempts() {
        let limiter = LoginLimiter::new(LoginLimits {
            per_account: 2,
            per_ip: 4,
            window: Duration::from_secs(60),
        });
        for _ in 0..2 {
            assert!(limiter.attempt("A@x.io", "1.1.1.1").is_ok());
            limiter.failed("a@x.io");
        }
        assert!(limiter.attempt("a@x.io", "2.2.2.2").is_err(), "per account");
        assert!(limiter.attempt("b@x.io", "1.1.1.1").is_ok());
        assert!(limiter.attempt("c@x.io", "1.1.1.1").is_ok());
        // Four attempts from 1.1.1.1 so far: the fifth is over its limit.
        let retry = limiter.attempt("d@x.io", "1.1.1.1").unwrap_err();
        assert!(retry <= Duration::from_secs(60) && retry > Duration::from_secs(50));
    }
}
