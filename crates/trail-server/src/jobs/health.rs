//! What `/readyz` knows about the background jobs: for each, whether its task still lives, when
//! its current round started and when one last succeeded. Times come from the `Clock`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::Serialize;
use trail_core::Millis;

/// Every registered job's health; shared through `AppState`.
#[derive(Debug, Default)]
pub struct JobsHealth {
    jobs: Mutex<BTreeMap<&'static str, JobHealth>>,
}

/// One job's health; the job's task updates it.
#[derive(Debug, Clone)]
pub struct JobHealth(Arc<Mutex<Status>>);

#[derive(Debug, Default)]
struct Status {
    stuck_after_ms: i64,
    round_started: Option<Millis>,
    last_success: Option<Millis>,
    dead: bool,
}

/// Why a job keeps the server from being ready.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub job: &'static str,
    /// `stuck` (a round running longer than it should) or `dead` (its task ended).
    pub problem: &'static str,
    pub message: String,
}

impl JobsHealth {
    /// Registers (or registers again) a job and returns the handle its task updates.
    pub fn register(&self, name: &'static str, stuck_after: Duration) -> JobHealth {
        let health = JobHealth(Arc::new(Mutex::new(Status {
            stuck_after_ms: i64::try_from(stuck_after.as_millis()).unwrap_or(i64::MAX),
            ..Status::default()
        })));
        self.jobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name, health.clone());
        health
    }

    /// The jobs that are stuck or dead at `now`, by name.
    pub fn problems(&self, now: Millis) -> Vec<Problem> {
        let jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
        jobs.iter()
            .filter_map(|(&job, health)| health.problem(job, now))
            .collect()
    }
}

impl JobHealth {
    fn status(&self) -> std::sync::MutexGuard<'_, Status> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn round_started(&self, now: Millis) {
        self.status().round_started = Some(now);
    }

    pub fn round_succeeded(&self, now: Millis) {
        let mut status = self.status();
        status.round_started = None;
        status.last_success = Some(now);
    }

    pub fn round_failed(&self) {
        self.status().round_started = None;
    }

    /// When a round last succeeded.
    pub fn last_success(&self) -> Option<Millis> {
        self.status().last_success
    }

    /// A guard that marks the job dead when dropped, unless [`AliveGuard::stopped`] was called.
    pub fn alive_guard(&self) -> AliveGuard {
        AliveGuard {
            health: self.clone(),
            stopped: false,
        }
    }

    fn problem(&self, job: &'static str, now: Millis) -> Option<Problem> {
        let status = self.status();
        if status.dead {
            return Some(Problem {
                job,
                problem: "dead",
                message: format!("The background job `{job}` has stopped unexpectedly."),
            });
        }
        let started = status.round_started?;
        let running_ms = now.0.saturating_sub(started.0);
        (running_ms > status.stuck_after_ms).then(|| Problem {
            job,
            problem: "stuck",
            message: format!(
                "The background job `{job}` has been running one round for {} s.",
                running_ms / 1000
            ),
        })
    }
}

/// Held by a job's task; see [`JobHealth::alive_guard`].
pub struct AliveGuard {
    health: JobHealth,
    stopped: bool,
}

impl AliveGuard {
    /// The task ends because it was told to stop.
    pub fn stopped(&mut self) {
        self.stopped = true;
    }
}

impl Drop for AliveGuard {
    fn drop(&mut self) {
        if !self.stopped {
            self.health.status().dead = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_round_is_stuck_and_a_dropped_task_is_dead() {
        let jobs = JobsHealth::default();
        let slow = jobs.register("slow", Duration::from_secs(60));
        let gone = jobs.register("gone", Duration::from_secs(60));
        slow.round_started(Millis(1_000));
        assert_eq!(jobs.problems(Millis(61_000)), vec![]);
        drop(gone.alive_guard());
        let mut stopped = slow.alive_guard();
        stopped.stopped();
        drop(stopped);
        let problems = jobs.problems(Millis(61_001));
        let found: Vec<_> = problems.iter().map(|p| (p.job, p.problem)).collect();
        assert_eq!(found, vec![("gone", "dead"), ("slow", "stuck")]);
        slow.round_succeeded(Millis(70_000));
        assert_eq!(slow.last_success(), Some(Millis(70_000)));
        assert_eq!(jobs.problems(Millis(999_999)).len(), 1);
    }
}
