//! The jobs registry: a round is counted in the job's metrics, `/readyz` names a job that is stuck
//! (a round longer than it should, measured on the test clock) or dead (its task ended), an
//! exclusive job runs only while its node holds the lease, and the server's jobs stop on shutdown.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::http::{Method, StatusCode};
use common::{Backend, TestApp};
use tokio::sync::Notify;
use trail_server::clock::TestClock;
use trail_server::jobs::{Job, Registry, run_round};
use trail_server::state::AppState;

/// A job whose rounds fail while `failing` is set, block while `blocking` is set, or panic.
struct Probe {
    name: &'static str,
    rounds: AtomicUsize,
    behaviour: Behaviour,
    wake: Arc<Notify>,
    exclusive: bool,
}

#[derive(Clone, Copy)]
enum Behaviour {
    FailsFirst,
    Blocks,
    Panics,
}

impl Probe {
    fn new(name: &'static str, behaviour: Behaviour) -> Arc<Probe> {
        Arc::new(Probe {
            name,
            rounds: AtomicUsize::new(0),
            behaviour,
            wake: Arc::default(),
            exclusive: false,
        })
    }
}

#[async_trait::async_trait]
impl Job for Probe {
    fn name(&self) -> &'static str {
        self.name
    }

    fn interval(&self) -> Duration {
        Duration::from_secs(3600)
    }

    fn stuck_after(&self) -> Duration {
        Duration::from_secs(60)
    }

    fn wake(&self) -> Option<Arc<Notify>> {
        Some(self.wake.clone())
    }

    fn exclusive(&self) -> bool {
        self.exclusive
    }

    async fn run_once(&self, _state: &AppState) -> anyhow::Result<()> {
        let round = self.rounds.fetch_add(1, Ordering::SeqCst);
        match self.behaviour {
            Behaviour::FailsFirst if round == 0 => anyhow::bail!("the first round fails"),
            Behaviour::FailsFirst => Ok(()),
            Behaviour::Blocks => std::future::pending().await,
            Behaviour::Panics => panic!("the probe job panics"),
        }
    }
}

async fn ready(app: &TestApp) -> (StatusCode, serde_json::Value) {
    let reply = app.raw(Method::GET, "/readyz", None, "", vec![]).await;
    (reply.status, reply.body)
}

/// Waits until `/readyz` answers 503, for at most ten seconds.
async fn until_unready(app: &TestApp) -> serde_json::Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = ready(app).await;
        if status == StatusCode::SERVICE_UNAVAILABLE {
            return body;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never unready: {body}"
        );
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_round_is_counted_in_the_jobs_metrics() {
    let app = TestApp::new().await;
    let probe = Probe::new("probe_counted", Behaviour::FailsFirst);
    let health = app.state.jobs.register(probe.name, probe.stuck_after());
    assert!(
        run_round(&app.state, probe.as_ref(), &health)
            .await
            .is_err()
    );
    assert_eq!(health.last_success(), None);
    assert!(
        run_round(&app.state, probe.as_ref(), &health)
            .await
            .unwrap()
    );
    assert_eq!(health.last_success(), Some(app.state.clock.now()));
    let metrics = app.state.metrics.render();
    for line in [
        "trail_job_runs_total{job=\"probe_counted\"} 2",
        "trail_job_failures_total{job=\"probe_counted\"} 1",
        "trail_job_last_success_timestamp_seconds{job=\"probe_counted\"}",
    ] {
        assert!(metrics.contains(line), "{line} missing from:\n{metrics}");
    }
}

#[tokio::test]
async fn readyz_names_a_stuck_job_by_the_clock() {
    let clock = TestClock::starting_now();
    let app = TestApp::on_with_clock(Backend::Sqlite, |_| {}, Arc::new(clock.clone())).await;
    let probe = Probe::new("probe_stuck", Behaviour::Blocks);
    let registry = Registry::start(&app.state, vec![probe.clone()]);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while probe.rounds.load(Ordering::SeqCst) == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the round never started"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(
        ready(&app).await.0,
        StatusCode::OK,
        "one round, not yet long"
    );
    clock.advance_ms(61_000);
    let (status, body) = ready(&app).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["error"]["details"][0]["job"], "probe_stuck");
    assert_eq!(body["error"]["details"][0]["problem"], "stuck");
    // Stopping waits for the round, which never ends; the test ends the runtime instead.
    drop(registry);
}

#[tokio::test]
async fn readyz_names_a_dead_job() {
    let app = TestApp::new().await;
    let probe = Probe::new("probe_dead", Behaviour::Panics);
    let _registry = Registry::start(&app.state, vec![probe]);
    let body = until_unready(&app).await;
    assert_eq!(body["error"]["details"][0]["job"], "probe_dead");
    assert_eq!(body["error"]["details"][0]["problem"], "dead");
}

#[tokio::test]
async fn an_exclusive_job_runs_only_while_it_holds_the_lease() {
    let app = TestApp::new().await;
    let probe = Arc::new(Probe {
        exclusive: true,
        ..Arc::into_inner(Probe::new("probe_leased", Behaviour::FailsFirst)).unwrap()
    });
    let health = app.state.jobs.register(probe.name, probe.stuck_after());
    let now = app.state.clock.now();
    assert!(
        app.state
            .store
            .take_lease("probe_leased", "another-node", now, 60_000)
            .await
            .unwrap()
    );
    assert!(
        !run_round(&app.state, probe.as_ref(), &health)
            .await
            .unwrap()
    );
    assert_eq!(probe.rounds.load(Ordering::SeqCst), 0, "skipped, not run");
    let later = now.plus_ms(60_001);
    assert!(
        app.state
            .store
            .take_lease("probe_leased", &app.state.node_id, later, 60_000)
            .await
            .unwrap(),
        "expired: this node takes it"
    );
    let _ = run_round(&app.state, probe.as_ref(), &health).await;
    assert_eq!(probe.rounds.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_woken_job_runs_a_round_and_stops_on_request() {
    let app = TestApp::new().await;
    let probe = Probe::new("probe_woken", Behaviour::FailsFirst);
    let registry = Registry::start(&app.state, vec![probe.clone()]);
    // The first round runs at once (and fails); waking it runs a second, which succeeds.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while probe.rounds.load(Ordering::SeqCst) < 2 {
        probe.wake.notify_one();
        assert!(tokio::time::Instant::now() < deadline, "never woken");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    registry.stop().await;
    assert_eq!(
        ready(&app).await.0,
        StatusCode::OK,
        "a stopped job is not dead"
    );
}
