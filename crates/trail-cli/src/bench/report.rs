//! The benchmark's figures: one serialisable report (`--json`) and its plain-text table, every figure
//! next to the same-run baseline as a ratio and next to its target.

use serde::Serialize;

/// Targets from the issue.
pub const TARGET_INGEST: f64 = 100_000.0;
pub const TARGET_INGEST_RATIO: f64 = 2.0;
pub const TARGET_SEARCH_P99_MS: f64 = 20.0;
pub const TARGET_COUNT_P99_MS: f64 = 50.0;
pub const TARGET_FACETS_P99_MS: f64 = 100.0;
pub const TARGET_BYTES_PER_EVENT: f64 = 300.0;
pub const TARGET_PG_INGEST: f64 = 50_000.0;
pub const TARGET_VERIFY: f64 = 1_000_000.0;
pub const TARGET_PG_SEARCH_P99_MS: f64 = 50.0;

/// An ingest rate: `events` written in `seconds`.
#[derive(Debug, Clone, Serialize)]
pub struct Rate {
    pub events: u64,
    pub seconds: f64,
    pub per_second: f64,
}

impl Rate {
    pub fn new(events: u64, elapsed: std::time::Duration) -> Rate {
        let seconds = elapsed.as_secs_f64();
        Rate {
            events,
            seconds,
            per_second: events as f64 / seconds.max(1e-9),
        }
    }
}

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub samples: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Latency {
    /// Nearest-rank percentiles of `samples_ms`.
    pub fn of(mut samples_ms: Vec<f64>) -> Latency {
        samples_ms.sort_by(f64::total_cmp);
        let at = |p: f64| {
            if samples_ms.is_empty() {
                return 0.0;
            }
            let rank = ((p / 100.0) * samples_ms.len() as f64).ceil() as usize;
            samples_ms[rank.clamp(1, samples_ms.len()) - 1]
        };
        Latency {
            samples: samples_ms.len(),
            p50_ms: at(50.0),
            p95_ms: at(95.0),
            p99_ms: at(99.0),
            max_ms: samples_ms.last().copied().unwrap_or(0.0),
        }
    }
}

/// One query's slowest runs, to say what limits the percentiles.
#[derive(Debug, Clone, Serialize)]
pub struct QueryTiming {
    pub query: String,
    pub matches: u64,
    pub search_max_ms: f64,
    pub count_max_ms: f64,
    pub facets_max_ms: f64,
    pub baseline_search_max_ms: f64,
    pub baseline_count_max_ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchFigures {
    pub store_events: u64,
    pub queries: usize,
    pub runs_per_query: usize,
    pub search: Latency,
    pub count: Latency,
    /// The ten most frequent values of a field within each query's matches.
    pub facets: Option<Latency>,
    pub baseline_search: Latency,
    pub baseline_count: Latency,
    pub per_query: Vec<QueryTiming>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SizeFigures {
    pub store_events: u64,
    pub store_bytes: u64,
    pub store_bytes_per_event: f64,
    pub baseline_rows: u64,
    pub baseline_bytes: u64,
    pub baseline_bytes_per_row: f64,
}

/// `trail verify` over the embedded store, and SHA-256 alone over the same leaves.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyFigures {
    pub verify: Rate,
    pub sha256_only: Rate,
    pub leaf_bytes_per_event: f64,
}

/// Per-event cost of the event-type catalogue (`bench::validation`).
#[derive(Debug, Clone, Serialize)]
pub struct ValidationFigures {
    pub events: u64,
    /// `enforce` check against the type's compiled JSON Schema, nanoseconds per event.
    pub schema_check_ns: f64,
    /// Rendering `display` (template or default sentence), nanoseconds per event.
    pub display_ns: f64,
    /// Baseline: Trail's own field validation of the same events, nanoseconds per event.
    pub field_validation_ns: f64,
}

/// Target for the schema check of a typical event type.
const TARGET_SCHEMA_CHECK_NS: f64 = 5_000.0;

/// The PostgreSQL stages (`--database-url`), on the same events as the embedded store.
#[derive(Debug, Clone, Serialize)]
pub struct PostgresFigures {
    /// `Store::append` of the prepared batches.
    pub store: Rate,
    /// One `INSERT` per event into an equivalent indexed table.
    pub naive: Rate,
    pub fill: Option<Rate>,
    pub stored_events: u64,
    pub search: Option<Latency>,
    pub count: Option<Latency>,
    pub per_query: Vec<QueryTiming>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Report {
    pub cores: usize,
    pub seed: u64,
    pub days: u32,
    pub connections: usize,
    pub store_tasks: usize,
    pub baseline: Option<Rate>,
    pub baseline_wide: Option<Rate>,
    pub http: Option<Rate>,
    pub store: Option<Rate>,
    /// Filling the search store past `--events` (generation runs alongside, so this is a lower bound).
    pub fill: Option<Rate>,
    pub search: Option<SearchFigures>,
    pub size: Option<SizeFigures>,
    pub verify: Option<VerifyFigures>,
    pub validation: Option<ValidationFigures>,
    pub postgres: Option<PostgresFigures>,
    /// The index-placement prototype (`--index-placement`).
    pub placement: Option<super::placement::Figures>,
    /// SIEM stream delivery while ingest runs.
    pub streams: Option<super::streams::StreamFigures>,
}

fn thousands(n: f64) -> String {
    let digits = format!("{:.0}", n.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}

impl Report {
    /// The plain-text table.
    pub fn render(&self) -> String {
        let mut lines = vec![format!(
            "{:<44} {:>22} {:>14}   {}",
            "figure", "measured", "vs baseline", "target"
        )];
        let mut line = |name: String, figure: String, ratio: String, target: String| {
            lines.push(format!("{name:<44} {figure:>22} {ratio:>14}   {target}"));
        };
        let base = self.baseline.as_ref().map(|b| b.per_second);
        let ratio = |rate: f64| base.map_or("-".into(), |b| format!("{:.2}×", rate / b));
        if let Some(b) = &self.baseline {
            let name = format!(
                "baseline: SQLite 4 indexes ({} rows)",
                thousands(b.events as f64)
            );
            line(
                name,
                format!("{} rows/s", thousands(b.per_second)),
                "1.00×".into(),
                String::new(),
            );
        }
        if let Some(w) = &self.baseline_wide {
            let name = "baseline: SQLite 13 indexes".to_owned();
            line(
                name,
                format!("{} rows/s", thousands(w.per_second)),
                ratio(w.per_second),
                String::new(),
            );
        }
        let ingest_target = |rate: f64| {
            let ok = rate >= TARGET_INGEST && base.is_none_or(|b| rate >= TARGET_INGEST_RATIO * b);
            format!("≥ 100,000 ev/s and ≥ 2× baseline: {}", verdict(ok))
        };
        if let Some(h) = &self.http {
            let name = format!("HTTP batch ingest, {} connections", self.connections);
            line(
                name,
                format!("{} ev/s", thousands(h.per_second)),
                ratio(h.per_second),
                ingest_target(h.per_second),
            );
        }
        if let Some(st) = &self.streams {
            let alone = self.http.as_ref().map(|h| h.per_second);
            line(
                "HTTP ingest while a HEC stream delivers".into(),
                format!("{} ev/s", thousands(st.ingest_per_second)),
                alone.map_or("-".into(), |a| {
                    format!("{:.2}× alone", st.ingest_per_second / a)
                }),
                format!(
                    "≥ 0.80× alone: {}",
                    verdict(alone.is_none_or(|a| st.ingest_per_second >= 0.8 * a))
                ),
            );
            line(
                "stream delivery during that ingest".into(),
                format!("{} ev/s", thousands(st.delivered_per_second)),
                "-".into(),
                String::new(),
            );
            line(
                "stream delivery of a replay, no ingest".into(),
                format!("{} ev/s", thousands(st.replay_per_second)),
                "-".into(),
                format!(
                    "≥ 50,000 ev/s: {}",
                    verdict(st.replay_per_second >= 50_000.0)
                ),
            );
            line(
                "stream lag, acknowledged → received".into(),
                format!("p50 {:.0} ms, p99 {:.0} ms", st.lag_p50_ms, st.lag_p99_ms),
                "-".into(),
                format!("max {:.0} ms", st.lag_max_ms),
            );
        }
        if let Some(s) = &self.store {
            let name = format!("Store::append, {} tasks", self.store_tasks);
            line(
                name,
                format!("{} ev/s", thousands(s.per_second)),
                ratio(s.per_second),
                ingest_target(s.per_second),
            );
        }
        if let Some(f) = &self.fill {
            let name = format!(
                "store fill to {} (with generation)",
                thousands(f.events as f64)
            );
            line(
                name,
                format!("{} ev/s", thousands(f.per_second)),
                ratio(f.per_second),
                String::new(),
            );
        }
        if let Some(s) = &self.search {
            let speedup =
                |ours: f64, theirs: f64| format!("{:.1}× faster", theirs / ours.max(1e-6));
            let ms = |l: &Latency| format!("{:.1}/{:.1}/{:.1} ms", l.p50_ms, l.p95_ms, l.p99_ms);
            let over = format!("over {} events", thousands(s.store_events as f64));
            line(
                format!("search p50/p95/p99 {over}"),
                ms(&s.search),
                speedup(s.search.p99_ms, s.baseline_search.p99_ms),
                format!(
                    "p99 ≤ 20 ms: {}",
                    verdict(s.search.p99_ms <= TARGET_SEARCH_P99_MS)
                ),
            );
            line(
                "  baseline SQL search".into(),
                ms(&s.baseline_search),
                String::new(),
                String::new(),
            );
            line(
                "count p50/p95/p99".into(),
                ms(&s.count),
                speedup(s.count.p99_ms, s.baseline_count.p99_ms),
                format!(
                    "p99 ≤ 50 ms: {}",
                    verdict(s.count.p99_ms <= TARGET_COUNT_P99_MS)
                ),
            );
            line(
                "  baseline SQL count".into(),
                ms(&s.baseline_count),
                String::new(),
                String::new(),
            );
            if let Some(facets) = &s.facets {
                line(
                    "facets (top 10) p50/p95/p99".into(),
                    ms(facets),
                    String::new(),
                    format!(
                        "p99 ≤ 100 ms: {}",
                        verdict(facets.p99_ms <= TARGET_FACETS_P99_MS)
                    ),
                );
            }
        }
        if let Some(z) = &self.size {
            let ratio = format!(
                "{:.2}×",
                z.store_bytes_per_event / z.baseline_bytes_per_row.max(1e-9)
            );
            line(
                format!("on disk, {} events", thousands(z.store_events as f64)),
                format!("{} B/event", thousands(z.store_bytes_per_event)),
                ratio,
                format!(
                    "≤ 300 B/event: {}",
                    verdict(z.store_bytes_per_event <= TARGET_BYTES_PER_EVENT)
                ),
            );
            line(
                format!("  baseline, {} rows", thousands(z.baseline_rows as f64)),
                format!("{} B/row", thousands(z.baseline_bytes_per_row)),
                String::new(),
                String::new(),
            );
        }
        if let Some(v) = &self.verify {
            line(
                format!(
                    "trail verify, 1 core, {} events",
                    thousands(v.verify.events as f64)
                ),
                format!("{} ev/s", thousands(v.verify.per_second)),
                format!(
                    "{:.2}× SHA-256",
                    v.verify.per_second / v.sha256_only.per_second.max(1e-9)
                ),
                format!(
                    "≥ 1,000,000 ev/s: {}",
                    verdict(v.verify.per_second >= TARGET_VERIFY)
                ),
            );
            line(
                format!(
                    "  SHA-256 alone over the leaves ({:.0} B each)",
                    v.leaf_bytes_per_event
                ),
                format!("{} ev/s", thousands(v.sha256_only.per_second)),
                String::new(),
                String::new(),
            );
        }
        if let Some(v) = &self.validation {
            let vs = |ns: f64| format!("{:.2}× fields", ns / v.field_validation_ns.max(1e-9));
            line(
                format!(
                    "schema check, enforce, {} events",
                    thousands(v.events as f64)
                ),
                format!("{:.2} µs/event", v.schema_check_ns / 1000.0),
                vs(v.schema_check_ns),
                format!(
                    "< 5 µs: {}",
                    verdict(v.schema_check_ns < TARGET_SCHEMA_CHECK_NS)
                ),
            );
            line(
                "  display text (template or sentence)".into(),
                format!("{:.2} µs/event", v.display_ns / 1000.0),
                vs(v.display_ns),
                String::new(),
            );
            line(
                "  baseline: field validation of the same events".into(),
                format!("{:.2} µs/event", v.field_validation_ns / 1000.0),
                String::new(),
                String::new(),
            );
        }
        if let Some(pg) = &self.postgres {
            self.render_postgres(pg, &mut line);
        }
        lines.join("\n")
    }

    /// PostgreSQL's lines: ingest against its naive baseline (and the embedded store), search and
    /// count against the embedded store on the same events.
    fn render_postgres(
        &self,
        pg: &PostgresFigures,
        line: &mut impl FnMut(String, String, String, String),
    ) {
        let naive = pg.naive.per_second;
        line(
            format!(
                "PostgreSQL baseline: 1 INSERT/event ({} rows)",
                thousands(pg.naive.events as f64)
            ),
            format!("{} rows/s", thousands(naive)),
            "1.00×".into(),
            String::new(),
        );
        let embedded = self.store.as_ref().map_or(String::new(), |s| {
            format!(", {:.2}× SQLite", pg.store.per_second / s.per_second)
        });
        line(
            format!("PostgreSQL Store::append, {} tasks", self.store_tasks),
            format!("{} ev/s", thousands(pg.store.per_second)),
            format!("{:.1}×{embedded}", pg.store.per_second / naive.max(1e-9)),
            format!(
                "≥ 50,000 ev/s: {}",
                verdict(pg.store.per_second >= TARGET_PG_INGEST)
            ),
        );
        if let Some(f) = pg.fill.as_ref().filter(|f| f.events > 0) {
            line(
                format!(
                    "PostgreSQL fill to {} (with generation)",
                    thousands(pg.stored_events as f64)
                ),
                format!("{} ev/s", thousands(f.per_second)),
                format!("{:.1}×", f.per_second / naive.max(1e-9)),
                String::new(),
            );
        }
        let ms = |l: &Latency| format!("{:.1}/{:.1}/{:.1} ms", l.p50_ms, l.p95_ms, l.p99_ms);
        // Beside the embedded store's p99 on the same events and queries.
        let versus = |sqlite: Option<&Latency>| {
            sqlite.map_or(String::new(), |s| format!("SQLite {:.1} ms", s.p99_ms))
        };
        let sqlite = self.search.as_ref();
        if let Some(search) = &pg.search {
            line(
                format!(
                    "PostgreSQL search p50/p95/p99 over {}",
                    thousands(pg.stored_events as f64)
                ),
                ms(search),
                versus(sqlite.map(|s| &s.search)),
                format!(
                    "p99 ≤ 50 ms: {}",
                    verdict(search.p99_ms <= TARGET_PG_SEARCH_P99_MS)
                ),
            );
        }
        if let Some(count) = &pg.count {
            line(
                "PostgreSQL count p50/p95/p99".into(),
                ms(count),
                versus(sqlite.map(|s| &s.count)),
                String::new(),
            );
        }
    }

    /// The slowest queries, for the "what limits it" discussion.
    pub fn render_slowest(&self) -> Option<String> {
        let search = self.search.as_ref()?;
        let mut rows: Vec<&QueryTiming> = search.per_query.iter().collect();
        rows.sort_by(|a, b| {
            b.search_max_ms
                .max(b.count_max_ms)
                .max(b.facets_max_ms)
                .total_cmp(&a.search_max_ms.max(a.count_max_ms).max(a.facets_max_ms))
        });
        let mut out = vec![format!(
            "{:<52} {:>9} {:>10} {:>10} {:>10} {:>12} {:>12}",
            "slowest queries (max ms)",
            "matches",
            "search",
            "count",
            "facets",
            "sql search",
            "sql count"
        )];
        for q in rows.iter().take(8) {
            out.push(format!(
                "{:<52} {:>9} {:>10.1} {:>10.1} {:>10.1} {:>12.1} {:>12.1}",
                q.query,
                thousands(q.matches as f64),
                q.search_max_ms,
                q.count_max_ms,
                q.facets_max_ms,
                q.baseline_search_max_ms,
                q.baseline_count_max_ms
            ));
        }
        Some(out.join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let l = Latency::of((1..=100).map(f64::from).rev().collect());
        assert_eq!(
            (l.p50_ms, l.p95_ms, l.p99_ms, l.max_ms),
            (50.0, 95.0, 99.0, 100.0)
        );
        assert_eq!(Latency::of(vec![]).p99_ms, 0.0);
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(1_234_567.4), "1,234,567");
        assert_eq!(thousands(999.0), "999");
    }
}
