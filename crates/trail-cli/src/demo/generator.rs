//! The demo event stream: splits the time window into UTC days with a weekly rhythm and a few burst
//! days, fills each day with episodes (sessions, scans, API jobs, incidents), sorts the day's events
//! and hands them out in chronological order as wire-format JSON.

use std::collections::VecDeque;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value, json};
use trail_core::Millis;

use super::episodes;
use super::people::{self, Actor, COUNTRIES};

pub const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;

/// What kind of day it is: ordinary, or one of the bursts the demo includes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind {
    Normal,
    /// A security push: many scans, by people, the CI pipeline and the scheduler.
    ScanCampaign,
    /// An outage: runbooks, service changes, escalation edits, and a password-guessing attack.
    Incident,
}

#[derive(Clone, Copy)]
struct Day {
    start: i64,
    end: i64,
    kind: DayKind,
    quota: usize,
}

/// A resource or target: `{type, id, name}`.
#[derive(Debug, Clone)]
pub struct Res {
    pub kind: &'static str,
    pub id: String,
    pub name: String,
}

/// One event before it gets its id and request id; `actor` indexes the roster.
pub struct Draft {
    pub at: i64,
    pub action: &'static str,
    pub area: &'static str,
    pub actor: usize,
    pub source: &'static str,
    pub resource: Option<Res>,
    pub targets: Vec<Res>,
    /// `Some(reason)` makes the outcome `failure`.
    pub failure: Option<&'static str>,
    pub description: String,
    pub changes: Vec<(&'static str, Value, Value)>,
    pub metadata: Map<String, Value>,
    pub ip: String,
    /// Index into `COUNTRIES`; `None` for internal machine traffic.
    pub place: Option<usize>,
    /// Replaces the actor's usual user agent (an attacker's script).
    pub user_agent: Option<&'static str>,
}

/// The generator's state shared with the episode builders.
pub struct World {
    pub rng: StdRng,
    pub roster: Vec<Actor>,
    /// Activity weights of the people (roster prefix), for picking who acts.
    pub person_weights: Vec<u32>,
    /// Running counter for scan ids and other serial numbers.
    pub serial: u64,
}

impl World {
    /// A roster index, by name (`id`), for machine actors.
    pub fn machine(&self, id: &str) -> usize {
        self.roster
            .iter()
            .position(|a| a.id == id)
            .expect("machine actors are in the roster")
    }

    /// How busy an actor is at `t` (0..=1): working hours and weekdays in their home time zone.
    pub fn activity_at(&self, actor: usize, t: i64) -> f64 {
        let local = t + COUNTRIES[self.roster[actor].home].offset_h * HOUR_MS;
        let hour = local.rem_euclid(DAY_MS) / HOUR_MS;
        let weekday = (local.div_euclid(DAY_MS) + 3).rem_euclid(7); // 1970-01-01 was a Thursday.
        let by_hour = [
            0.02, 0.01, 0.01, 0.01, 0.01, 0.02, 0.05, 0.2, 0.6, 1.0, 1.0, 1.0, 0.6, 0.9, 1.0, 0.95,
            0.9, 0.6, 0.3, 0.15, 0.12, 0.08, 0.05, 0.03,
        ][hour as usize];
        let by_day = if weekday >= 5 { 0.12 } else { 1.0 };
        by_hour * by_day
    }

    /// A time in `[start, end)` at which `actor` plausibly works (rejection sampling on `activity_at`).
    pub fn work_time(&mut self, actor: usize, start: i64, end: i64) -> i64 {
        let mut t = self.rng.random_range(start..end);
        for _ in 0..40 {
            if self.rng.random::<f64>() < self.activity_at(actor, t) {
                break;
            }
            t = self.rng.random_range(start..end);
        }
        t
    }
}

/// The iterator behind [`super::generate`].
pub struct Generator {
    world: World,
    seed: u64,
    days: Vec<Day>,
    next_day: usize,
    pending: VecDeque<Draft>,
    index: u64,
}

impl Generator {
    pub fn new(seed: u64, count: usize, days: u32, now: Millis) -> Generator {
        let mut rng = StdRng::seed_from_u64(seed);
        let roster = people::roster();
        let person_weights = roster
            .iter()
            .take_while(|a| a.role().is_some())
            .map(|a| a.activity)
            .collect();
        let days = plan_days(&mut rng, count, days.max(1), now.0);
        Generator {
            world: World {
                rng,
                roster,
                person_weights,
                serial: 1000,
            },
            seed,
            days,
            next_day: 0,
            pending: VecDeque::new(),
            index: 0,
        }
    }

    fn fill_day(&mut self, day: &Day) {
        let mut drafts = Vec::with_capacity(day.quota + 16);
        while drafts.len() < day.quota {
            let mut episode = episodes::episode(&mut self.world, day.kind, day.start, day.end);
            episode.truncate(day.quota - drafts.len());
            drafts.extend(episode);
        }
        for draft in &mut drafts {
            draft.at = draft.at.clamp(day.start, day.end - 1);
        }
        drafts.sort_by_key(|d| d.at);
        self.pending.extend(drafts);
    }

    /// Gives the draft its id and request id and writes it in the wire shape.
    fn finish(&mut self, d: Draft) -> Value {
        let actor = &self.world.roster[d.actor];
        let mut actor_json = json!({"id": actor.id, "type": actor.kind.wire(), "name": actor.name});
        if let Some(email) = &actor.email {
            actor_json["email"] = json!(email);
        }
        if let Some(role) = actor.role() {
            actor_json["role"] = json!(role.label());
        }
        let request_id = format!("req_{:016x}", self.world.rng.random::<u64>());
        let agent = d.user_agent.unwrap_or(actor.user_agent);
        let mut context = json!({"ip": d.ip, "user_agent": agent, "request_id": request_id});
        if let Some(place) = d.place {
            let c = &COUNTRIES[place];
            context["location"] = json!({"country": c.code, "region": c.region, "city": c.city});
        }
        let mut event = json!({
            "id": format!("evt_demo_{}_{}", self.seed, self.index),
            "action": d.action,
            "area": d.area,
            "occurred_at": Millis(d.at).to_rfc3339(),
            "actor": actor_json,
            "source": d.source,
            "outcome": if d.failure.is_some() { "failure" } else { "success" },
            "description": d.description,
            "context": context,
        });
        if let Some(reason) = d.failure {
            event["reason"] = json!(reason);
        }
        if let Some(r) = &d.resource {
            event["resource"] = res_json(r);
        }
        if !d.targets.is_empty() {
            event["targets"] = Value::Array(d.targets.iter().map(res_json).collect());
        }
        if !d.changes.is_empty() {
            let changes = d.changes.into_iter();
            event["changes"] = changes
                .map(|(field, old, new)| json!({"field": field, "old": old, "new": new}))
                .collect();
        }
        if !d.metadata.is_empty() {
            event["metadata"] = Value::Object(d.metadata);
        }
        self.index += 1;
        event
    }
}

fn res_json(r: &Res) -> Value {
    json!({"type": r.kind, "id": r.id, "name": r.name})
}

impl Iterator for Generator {
    type Item = Value;

    fn next(&mut self) -> Option<Value> {
        while self.pending.is_empty() {
            let day = *self.days.get(self.next_day)?;
            self.next_day += 1;
            self.fill_day(&day);
        }
        let draft = self.pending.pop_front()?;
        Some(self.finish(draft))
    }
}

/// Splits `[now - days, now)` into UTC days and shares `count` events among them: weekdays busier
/// than weekends, some jitter, and a few burst days.
fn plan_days(rng: &mut StdRng, count: usize, days: u32, now: i64) -> Vec<Day> {
    let window_start = now - i64::from(days) * DAY_MS;
    let mut plan = Vec::new();
    let mut start = window_start;
    while start < now {
        let end = ((start.div_euclid(DAY_MS) + 1) * DAY_MS).min(now);
        let weekday = (start.div_euclid(DAY_MS) + 3).rem_euclid(7);
        let kind = match rng.random_range(0..100) {
            0..4 if weekday < 5 => DayKind::ScanCampaign,
            4..7 => DayKind::Incident,
            _ => DayKind::Normal,
        };
        plan.push((start, end, kind, weekday));
        start = end;
    }
    let weights: Vec<f64> = plan
        .iter()
        .map(|(start, end, kind, weekday)| {
            let rhythm = if *weekday >= 5 { 0.3 } else { 1.0 };
            let burst = match kind {
                DayKind::Normal => 1.0,
                DayKind::ScanCampaign => 2.5,
                DayKind::Incident => 1.8,
            };
            let share_of_day = (end - start) as f64 / DAY_MS as f64;
            rhythm * burst * share_of_day * rng.random_range(0.8..1.2)
        })
        .collect();
    let total: f64 = weights.iter().sum();
    let mut cumulative = 0.0;
    let mut assigned = 0usize;
    let mut days: Vec<Day> = plan
        .into_iter()
        .zip(weights)
        .map(|((start, end, kind, _), weight)| {
            cumulative += weight;
            let upto = (((cumulative / total) * count as f64).round() as usize).min(count);
            let quota = upto.saturating_sub(assigned);
            assigned += quota;
            Day {
                start,
                end,
                kind,
                quota,
            }
        })
        .collect();
    // Rounding can leave a few events over; the last (possibly partial) day takes them.
    if let Some(last) = days.last_mut() {
        last.quota += count - assigned;
    }
    days
}
