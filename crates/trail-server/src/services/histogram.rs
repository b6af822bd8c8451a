//! Counts of matching events per time bucket (`GET /v1/events/histogram`, the chart above the
//! Activity log). The bucket size is chosen from the range so that there are at most
//! [`MAX_BUCKETS`] bars, aligned to whole buckets in UTC; each bucket is one narrowed
//! `Store::count`, [`CONCURRENCY`] at a time.

use futures_util::StreamExt;
use serde::Serialize;
use trail_core::Millis;
use utoipa::ToSchema;

use super::Caller;
use super::search::{SearchInput, narrowed};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// At most this many bars.
pub const MAX_BUCKETS: i64 = 60;
/// Without `from`, the histogram covers this much before `to`.
const DEFAULT_SPAN_MS: i64 = 30 * DAY;
/// Bucket counts read at the same time.
const CONCURRENCY: usize = 8;

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
const SIZES: [(i64, &str); 14] = [
    (MINUTE, "1m"),
    (5 * MINUTE, "5m"),
    (10 * MINUTE, "10m"),
    (15 * MINUTE, "15m"),
    (30 * MINUTE, "30m"),
    (HOUR, "1h"),
    (3 * HOUR, "3h"),
    (6 * HOUR, "6h"),
    (12 * HOUR, "12h"),
    (DAY, "1d"),
    (2 * DAY, "2d"),
    (7 * DAY, "7d"),
    (14 * DAY, "14d"),
    (30 * DAY, "30d"),
];

#[derive(Serialize, ToSchema)]
pub struct Bucket {
    /// Inclusive start of the bucket (the first one starts at `from`).
    #[schema(value_type = String)]
    start: Millis,
    count: u64,
}

#[derive(Serialize, ToSchema)]
pub struct HistogramResponse {
    #[schema(value_type = String)]
    from: Millis,
    #[schema(value_type = String)]
    to: Millis,
    /// The bucket size: `1m`, `5m`, `10m`, `15m`, `30m`, `1h`, `3h`, `6h`, `12h`, `1d`, `2d`, `7d`, `14d` or `30d`.
    bucket: &'static str,
    bucket_ms: i64,
    buckets: Vec<Bucket>,
    /// The sum of the buckets: every match in the range.
    total: u64,
}

/// The bucket size for a range of `span_ms`: the smallest that gives at most `MAX_BUCKETS` bars.
pub fn bucket_for(span_ms: i64) -> (i64, &'static str) {
    SIZES
        .iter()
        .copied()
        .find(|(size, _)| (span_ms + size - 1) / size <= MAX_BUCKETS)
        .unwrap_or(SIZES[SIZES.len() - 1])
}

/// The buckets `[start, end)` covering `[from, to)`, aligned to multiples of `size` since the epoch.
pub fn bucket_bounds(from: i64, to: i64, size: i64) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    let mut start = from;
    while start < to {
        let end = ((start.div_euclid(size)) + 1) * size;
        out.push((start, end.min(to)));
        start = end;
    }
    out
}

/// The caller's matching events per bucket over the input's range (`from` defaults to 30 days
/// before `to`, `to` to now). Not recorded, like `count`.
pub async fn histogram(
    state: &AppState,
    caller: &Caller,
    input: &SearchInput,
) -> ApiResult<HistogramResponse> {
    let search = narrowed(state, caller, input).await?;
    let now = state.clock.now();
    let to = search.to.unwrap_or(now).0;
    let from = search.from.map_or(to - DEFAULT_SPAN_MS, |m| m.0);
    if from >= to {
        return Err(ApiError::invalid_field(
            "from",
            "before_to",
            "`from` must be earlier than `to` (or now).",
        ));
    }
    let (size, name) = bucket_for(to - from);
    let org = &caller.organization_id;
    let counts: Vec<Result<u64, trail_store::StoreError>> =
        futures_util::stream::iter(bucket_bounds(from, to, size).into_iter().map(
            |(start, end)| {
                let mut bucket = search.clone();
                bucket.from = Some(Millis(start));
                bucket.to = Some(Millis(end));
                let store = state.store.clone();
                let org = org.clone();
                async move { store.count(&org, &bucket).await }
            },
        ))
        .buffered(CONCURRENCY)
        .collect()
        .await;
    let mut buckets = Vec::with_capacity(counts.len());
    let mut start = from;
    for count in counts {
        let count = count.map_err(|e| ApiError::from_store(e, "organization"))?;
        buckets.push(Bucket {
            start: Millis(start),
            count,
        });
        start = ((start.div_euclid(size)) + 1) * size;
    }
    let total = buckets.iter().map(|b| b.count).sum();
    Ok(HistogramResponse {
        from: Millis(from),
        to: Millis(to),
        bucket: name,
        bucket_ms: size,
        buckets,
        total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_the_range_without_gaps_and_stay_few() {
        for span in [
            1,
            MINUTE,
            HOUR,
            DAY,
            7 * DAY,
            90 * DAY,
            365 * DAY,
            3 * 365 * DAY,
        ] {
            let (size, _) = bucket_for(span);
            let from = 1_700_000_012_345;
            let bounds = bucket_bounds(from, from + span, size);
            assert_eq!(bounds.first().unwrap().0, from);
            assert_eq!(bounds.last().unwrap().1, from + span);
            assert!(bounds.windows(2).all(|w| w[0].1 == w[1].0));
            if span <= 30 * DAY * MAX_BUCKETS {
                assert!(
                    bounds.len() as i64 <= MAX_BUCKETS + 1,
                    "{span}: {}",
                    bounds.len()
                );
            }
        }
        assert_eq!(bucket_for(HOUR).1, "1m");
        assert_eq!(bucket_for(24 * HOUR).1, "30m");
        assert_eq!(bucket_for(7 * DAY).1, "3h");
        assert_eq!(bucket_for(90 * DAY).1, "2d");
    }
}
