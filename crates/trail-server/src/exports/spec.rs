//! What an export job exports: the request of `POST /v1/exports`, checked against the
//! organization's limits (retention, longest window) into the spec that is stored with the job
//! and that the worker turns back into a search.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use trail_core::Millis;
use trail_core::export::{ExportFormat, TimeFrame};
use trail_core::query::{
    self, CmpOp, Condition, Field, Matcher, Order, Scalar, Search, SortKey, StructuredFilter,
};
use trail_core::time::time_bound;
use trail_store::OrgSettings;
use utoipa::ToSchema;

use super::file::Layout;
use crate::error::{ApiError, ApiResult};

const DAY_MS: i64 = 86_400_000;
/// Longest job name.
pub const MAX_NAME_CHARS: usize = 200;

/// Most rows in one part of a split export: what the store's 64-bit counts can hold (the OpenAPI
/// document states the same bound).
pub const MAX_ROWS_PER_FILE: u64 = i64::MAX as u64;

/// The body of `POST /v1/exports`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportRequest {
    /// Required with the operator credential.
    pub organization_id: Option<String>,
    /// Shown in the Export History [default: "Export <date>"].
    #[schema(max_length = 200)]
    pub name: Option<String>,
    /// `csv` (default), `json` or `ndjson`.
    #[schema(value_type = Option<crate::routes::values::FormatValue>, inline)]
    pub format: Option<ExportFormat>,
    /// Query language, as for search.
    pub q: Option<String>,
    /// Structured `{"field", "op", "value"}` rows, ANDed with `q`.
    #[schema(value_type = Option<Vec<Object>>)]
    pub filters: Option<Vec<StructuredFilter>>,
    /// `last_30_days` (default without `from`/`to`), `last_90_days` or `custom`.
    #[schema(value_type = Option<crate::routes::values::TimeFrameValue>, inline)]
    pub time_frame: Option<TimeFrame>,
    /// With `custom`: inclusive start (RFC 3339, a date, or relative like `30d`).
    #[schema(min_length = 1)]
    pub from: Option<String>,
    /// With `custom`: exclusive end [default: now].
    #[schema(min_length = 1)]
    pub to: Option<String>,
    /// Compress the file (gzip; inside a zip, deflate).
    #[serde(default)]
    pub gzip: bool,
    /// Produce a bundle `trail verify --bundle` checks offline (events as stored, proofs,
    /// checkpoint, public key).
    #[serde(default)]
    pub verifiable: bool,
    /// Split into numbered parts of at most this many rows, in one zip.
    #[schema(minimum = 1, maximum = 9_223_372_036_854_775_807_i64)]
    pub rows_per_file: Option<u64>,
}

/// An export job's request, resolved (absolute times) and stored with the job as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportSpec {
    pub format: ExportFormat,
    pub gzip: bool,
    pub verifiable: bool,
    pub q: Option<String>,
    pub filters: Option<Vec<StructuredFilter>>,
    pub time_frame: TimeFrame,
    pub from: Option<Millis>,
    pub to: Option<Millis>,
    pub rows_per_file: Option<u64>,
    /// What the requester may read, kept with the job so that the worker exports no more than
    /// the requester could search (a member who sees only their own activity, a scoped viewer
    /// token); empty for unrestricted callers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub restricted_to: Vec<Restriction>,
    /// The log's size when the job was created: the job exports only events that existed then,
    /// so the file holds the "Export N records" that were counted, not events (its own audit
    /// record included) that arrived while it waited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub below_seq: Option<u64>,
    /// Catalogue labels used in `action:` conditions (lower-cased) and the actions each stood for
    /// when the job was created (`crate::services::search::labels_in`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub action_labels: BTreeMap<String, Vec<String>>,
}

/// One condition of [`crate::access::restrictions`], in a stable stored form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Restriction {
    pub field: RestrictedField,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RestrictedField {
    ActorIdOrEmail,
    ActorId,
    ResourceId,
    Area,
}

impl RestrictedField {
    fn field(self) -> Field {
        match self {
            RestrictedField::ActorIdOrEmail => Field::ActorIdOrEmail,
            RestrictedField::ActorId => Field::ActorId,
            RestrictedField::ResourceId => Field::ResourceId,
            RestrictedField::Area => Field::Area,
        }
    }
}

impl Restriction {
    /// The stored form of `conditions`; `None` when one of them has no stored form (the caller
    /// then refuses the export rather than export more than allowed).
    pub fn from_conditions(conditions: &[Condition]) -> Option<Vec<Restriction>> {
        conditions
            .iter()
            .map(|condition| {
                let field = match condition.field {
                    Field::ActorIdOrEmail => RestrictedField::ActorIdOrEmail,
                    Field::ActorId => RestrictedField::ActorId,
                    Field::ResourceId => RestrictedField::ResourceId,
                    Field::Area => RestrictedField::Area,
                    _ => return None,
                };
                let values = condition
                    .matchers
                    .iter()
                    .map(|m| match m {
                        Matcher::Eq(value) if !condition.negated => Some(value.clone()),
                        _ => None,
                    })
                    .collect::<Option<Vec<_>>>()?;
                Some(Restriction { field, values })
            })
            .collect()
    }

    fn condition(&self) -> Condition {
        Condition {
            field: self.field.field(),
            negated: false,
            matchers: self.values.iter().cloned().map(Matcher::Eq).collect(),
        }
    }
}

impl ExportSpec {
    /// The search the job runs: oldest first, by `occurred_at`; relative values in `q` are
    /// resolved at `at` (when the job was created), so a restarted job exports the same events.
    pub fn search(&self, at: Millis) -> ApiResult<Search> {
        let mut filter =
            crate::services::search::parse_filter(self.q.as_deref(), self.filters.as_deref(), at)?;
        crate::services::search::resolve_kept_labels(&self.action_labels, &mut filter);
        filter
            .conditions
            .extend(self.restricted_to.iter().map(Restriction::condition));
        if let Some(size) = self.below_seq {
            filter.conditions.push(Condition {
                field: Field::Seq,
                negated: false,
                matchers: vec![Matcher::Cmp(
                    CmpOp::Lt,
                    Scalar::Int(i64::try_from(size).unwrap_or(i64::MAX)),
                )],
            });
        }
        Ok(Search {
            filter,
            from: self.from,
            to: self.to,
            order: Order::Asc,
            sort: SortKey::OccurredAt,
            limit: query::MAX_LIMIT,
            cursor: None,
        })
    }

    pub fn layout(&self) -> Layout {
        match (self.verifiable, self.rows_per_file) {
            (true, _) => Layout::Bundle,
            (false, Some(rows)) => Layout::Parts(rows),
            (false, None) => Layout::Single,
        }
    }
}

/// Checks `request` at `now` against the organization's `limits`: the job's name and spec, or a
/// 400 naming the field, or a 422 saying which limit and how to split.
pub fn resolve(
    request: &ExportRequest,
    now: Millis,
    limits: &OrgSettings,
) -> ApiResult<(String, ExportSpec)> {
    let name = match request.name.as_deref().map(str::trim) {
        None | Some("") => format!("Export {}", &now.to_rfc3339()[..16].replace('T', " ")),
        Some(name) if name.chars().count() > MAX_NAME_CHARS => {
            return Err(ApiError::invalid_field(
                "name",
                "length",
                format!("`name` is longer than {MAX_NAME_CHARS} characters."),
            ));
        }
        Some(name) => name.to_owned(),
    };
    let custom_bounds = request.from.is_some() || request.to.is_some();
    let time_frame = request.time_frame.unwrap_or(if custom_bounds {
        TimeFrame::Custom
    } else {
        TimeFrame::Last30Days
    });
    if time_frame != TimeFrame::Custom && custom_bounds {
        return Err(ApiError::invalid_field(
            "time_frame",
            "custom_bounds",
            "`from` and `to` are only used with `\"time_frame\": \"custom\"`.",
        ));
    }
    let bound = |field: &str, value: Option<&str>| {
        value
            .map(|v| {
                time_bound(field, v, now)
                    .map_err(|e| ApiError::invalid_field(field, "time", e.to_string()))
            })
            .transpose()
    };
    let (from, to) = time_frame.bounds(
        now,
        bound("from", request.from.as_deref())?,
        bound("to", request.to.as_deref())?,
    );
    if let (Some(f), Some(t)) = (from, to)
        && f >= t
    {
        return Err(ApiError::invalid_field(
            "to",
            "after_from",
            "`to` must be later than `from`.",
        ));
    }
    let format = request.format.unwrap_or_default();
    if request.verifiable && !matches!(request.format, None | Some(ExportFormat::Ndjson)) {
        return Err(ApiError::invalid_field(
            "format",
            "verifiable",
            "A verifiable export holds the events as stored (NDJSON); leave `format` out or set it to `ndjson`.",
        ));
    }
    match request.rows_per_file {
        Some(rows) if !(1..=MAX_ROWS_PER_FILE).contains(&rows) => {
            return Err(ApiError::invalid_field(
                "rows_per_file",
                "range",
                format!("`rows_per_file` must be 1 to {MAX_ROWS_PER_FILE}."),
            ));
        }
        Some(_) if request.verifiable => {
            return Err(ApiError::invalid_field(
                "rows_per_file",
                "verifiable",
                "A verifiable bundle is one file; leave `rows_per_file` out.",
            ));
        }
        _ => {}
    }
    check_retention(from, time_frame, now, limits)?;
    check_window(from, to, now, limits)?;
    let spec = ExportSpec {
        format: if request.verifiable {
            ExportFormat::Ndjson
        } else {
            format
        },
        gzip: request.gzip,
        verifiable: request.verifiable,
        q: request.q.clone(),
        filters: request.filters.clone(),
        time_frame,
        from,
        to,
        rows_per_file: request.rows_per_file,
        restricted_to: Vec::new(),
        below_seq: None,
        action_labels: BTreeMap::new(),
    };
    // Fails now (400) rather than in the worker when the query does not parse.
    spec.search(now)?;
    Ok((name, spec))
}

/// A custom `from` older than the retention asks for events that are no longer kept.
fn check_retention(
    from: Option<Millis>,
    time_frame: TimeFrame,
    now: Millis,
    limits: &OrgSettings,
) -> ApiResult<()> {
    let oldest = now.plus_ms(-i64::from(limits.retention_days) * DAY_MS);
    match from {
        Some(from) if time_frame == TimeFrame::Custom && from < oldest => {
            Err(ApiError::limit_exceeded(
                "from",
                "retention",
                u64::from(limits.retention_days),
                format!(
                    "This organization keeps events for {} days; `from` must be {} or later.",
                    limits.retention_days,
                    oldest.to_rfc3339()
                ),
            ))
        }
        _ => Ok(()),
    }
}

/// One export may cover at most `max_export_window_days`; past it the answer says how to split.
fn check_window(
    from: Option<Millis>,
    to: Option<Millis>,
    now: Millis,
    limits: &OrgSettings,
) -> ApiResult<()> {
    let Some(days) = limits.max_export_window_days else {
        return Ok(());
    };
    let max_ms = i64::from(days) * DAY_MS;
    let Some(from) = from else {
        return Err(ApiError::limit_exceeded(
            "from",
            "max_export_window",
            u64::from(days),
            format!(
                "One export may cover at most {days} days; set a custom `from` and `to` at most {days} days apart and export the rest in further jobs."
            ),
        ));
    };
    let to = to.unwrap_or(now);
    let span = to.0 - from.0;
    if span <= max_ms {
        return Ok(());
    }
    let parts = (span + max_ms - 1) / max_ms;
    let first_end = from.plus_ms(max_ms);
    Err(ApiError::limit_exceeded(
        "to",
        "max_export_window",
        u64::from(days),
        format!(
            "One export may cover at most {days} days and this one covers {:.1}; split it into {parts} exports of at most {days} days each, the first from {} to {}.",
            span as f64 / DAY_MS as f64,
            from.to_rfc3339(),
            first_end.to_rfc3339()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Millis = Millis(1_000 * DAY_MS);

    fn custom(from: &str, to: &str) -> ExportRequest {
        ExportRequest {
            from: Some(from.into()),
            to: Some(to.into()),
            ..Default::default()
        }
    }

    #[test]
    fn no_time_frame_means_the_last_30_days() {
        let (_, spec) = resolve(&ExportRequest::default(), NOW, &OrgSettings::default()).unwrap();
        assert_eq!(spec.time_frame, TimeFrame::Last30Days);
        assert_eq!(spec.from, Some(NOW.plus_ms(-30 * DAY_MS)));
        assert_eq!(spec.format, ExportFormat::Csv);
    }

    #[test]
    fn a_window_past_the_limit_says_how_to_split() {
        let limits = OrgSettings {
            max_export_window_days: Some(90),
            ..Default::default()
        };
        let err = resolve(&custom("200d", "now"), NOW, &limits).unwrap_err();
        assert_eq!(err.status, 422);
        assert!(err.message.contains("at most 90 days"), "{}", err.message);
        assert!(err.message.contains("into 3 exports"), "{}", err.message);
        assert!(resolve(&custom("90d", "now"), NOW, &limits).is_ok());
    }

    #[test]
    fn a_from_older_than_the_retention_is_a_422() {
        let limits = OrgSettings {
            retention_days: 30,
            ..Default::default()
        };
        let err = resolve(&custom("40d", "1d"), NOW, &limits).unwrap_err();
        assert_eq!(err.status, 422);
        assert_eq!(err.details[0]["field"], "from");
        assert_eq!(err.details[0]["limit"], 30);
    }

    #[test]
    fn verifiable_exports_are_ndjson_in_one_file() {
        let request = ExportRequest {
            verifiable: true,
            format: Some(ExportFormat::Csv),
            ..Default::default()
        };
        let err = resolve(&request, NOW, &OrgSettings::default()).unwrap_err();
        assert_eq!(err.details[0]["field"], "format");
        let request = ExportRequest {
            verifiable: true,
            rows_per_file: Some(10),
            ..Default::default()
        };
        let err = resolve(&request, NOW, &OrgSettings::default()).unwrap_err();
        assert_eq!(err.details[0]["field"], "rows_per_file");
    }
}
