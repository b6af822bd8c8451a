//! Export formats: the fixed CSV columns (RFC 4180, spreadsheet formulas neutralised), NDJSON
//! lines and one JSON array, each written event by event so that an export of any size runs in
//! constant memory; and the options an export job is made of (format, time frame).

use serde::{Deserialize, Serialize};

use crate::Millis;
use crate::catalogue::compiled::Display;
use crate::event::Event;

/// The file format of a download or an export job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    #[default]
    Csv,
    Json,
    Ndjson,
}

impl ExportFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Json => "json",
            ExportFormat::Ndjson => "ndjson",
        }
    }

    pub fn parse(text: &str) -> Option<ExportFormat> {
        match text {
            "csv" => Some(ExportFormat::Csv),
            "json" => Some(ExportFormat::Json),
            "ndjson" | "jsonl" => Some(ExportFormat::Ndjson),
            _ => None,
        }
    }

    /// The `Content-Type` of a file in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Json => "application/json",
            ExportFormat::Ndjson => "application/x-ndjson",
        }
    }

    /// The file name extension, without the dot.
    pub fn extension(self) -> &'static str {
        self.as_str()
    }
}

/// The time frame of an export job, as the seeds' dialog offers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeFrame {
    #[serde(rename = "last_30_days")]
    Last30Days,
    #[serde(rename = "last_90_days")]
    Last90Days,
    Custom,
}

const DAY_MS: i64 = 86_400_000;

impl TimeFrame {
    /// The `[from, to)` bounds on `occurred_at` at `now` (a relative frame has no upper bound, so
    /// it covers exactly its days up to now); `custom` takes the caller's bounds.
    pub fn bounds(
        self,
        now: Millis,
        from: Option<Millis>,
        to: Option<Millis>,
    ) -> (Option<Millis>, Option<Millis>) {
        match self {
            TimeFrame::Last30Days => (Some(now.plus_ms(-30 * DAY_MS)), None),
            TimeFrame::Last90Days => (Some(now.plus_ms(-90 * DAY_MS)), None),
            TimeFrame::Custom => (from, to),
        }
    }
}

/// The CSV columns, in their fixed order (documented in docs/exports.md; only ever appended to).
pub const CSV_COLUMNS: [&str; 31] = [
    "id",
    "seq",
    "occurred_at",
    "received_at",
    "action",
    "area",
    "actor.id",
    "actor.type",
    "actor.name",
    "actor.email",
    "actor.role",
    "resource.type",
    "resource.id",
    "resource.name",
    "targets",
    "source",
    "outcome",
    "reason",
    "description",
    "ip",
    "user_agent",
    "request_id",
    "country",
    "region",
    "city",
    "changes",
    "metadata",
    "prev",
    "hash",
    "label",
    "display_text",
];

/// Writes the CSV header line.
pub fn write_csv_header(out: &mut Vec<u8>) {
    for (i, column) in CSV_COLUMNS.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(column.as_bytes());
    }
    out.extend_from_slice(b"\r\n");
}

/// Writes one event as a CSV record (CRLF-terminated); `display` fills the last two columns
/// (read-time text, outside the hashed leaf).
pub fn write_csv_row(out: &mut Vec<u8>, event: &Event, display: Option<&Display>) {
    let data = &event.data;
    let resource = data.resource.as_ref();
    let context = data.context.as_ref();
    let location = context.and_then(|c| c.location.as_ref());
    let json = |value: Option<String>| value.unwrap_or_default();
    let targets = (!data.targets.is_empty())
        .then(|| serde_json::to_string(&data.targets).expect("targets serialize"));
    let changes = (!data.changes.is_empty())
        .then(|| serde_json::to_string(&data.changes).expect("changes serialize"));
    let metadata = data
        .metadata
        .as_ref()
        .map(|m| serde_json::to_string(m).expect("metadata serializes"));
    let seq = event.seq.to_string();
    let cells: [&str; 31] = [
        &data.id,
        &seq,
        &data.occurred_at.to_rfc3339(),
        &event.received_at.to_rfc3339(),
        &data.action,
        &data.area,
        &data.actor.id,
        &data.actor.kind,
        data.actor.name.as_deref().unwrap_or(""),
        data.actor.email.as_deref().unwrap_or(""),
        data.actor.role.as_deref().unwrap_or(""),
        resource.map_or("", |r| r.kind.as_str()),
        resource.and_then(|r| r.id.as_deref()).unwrap_or(""),
        resource.and_then(|r| r.name.as_deref()).unwrap_or(""),
        &json(targets),
        data.source.as_deref().unwrap_or(""),
        data.outcome.as_str(),
        data.reason.as_deref().unwrap_or(""),
        data.description.as_deref().unwrap_or(""),
        context.and_then(|c| c.ip.as_deref()).unwrap_or(""),
        context.and_then(|c| c.user_agent.as_deref()).unwrap_or(""),
        context.and_then(|c| c.request_id.as_deref()).unwrap_or(""),
        location.and_then(|l| l.country.as_deref()).unwrap_or(""),
        location.and_then(|l| l.region.as_deref()).unwrap_or(""),
        location.and_then(|l| l.city.as_deref()).unwrap_or(""),
        &json(changes),
        &json(metadata),
        &event.prev,
        &event.hash,
        display.map_or("", |d| d.label.as_str()),
        display.map_or("", |d| d.text.as_str()),
    ];
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_csv_cell(out, cell);
    }
    out.extend_from_slice(b"\r\n");
}

/// Writes one cell: a cell a spreadsheet would run as a formula (starting with `=`, `+`, `-`,
/// `@`, tab or CR) gets a leading `'`; a cell holding a comma, a quote, CR or LF is quoted with
/// its quotes doubled (RFC 4180).
pub fn write_csv_cell(out: &mut Vec<u8>, cell: &str) {
    let formula = cell
        .as_bytes()
        .first()
        .is_some_and(|b| matches!(b, b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r'));
    let quote = cell
        .bytes()
        .any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n'));
    if quote {
        out.push(b'"');
    }
    if formula {
        out.push(b'\'');
    }
    if quote {
        for b in cell.bytes() {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(cell.as_bytes());
    }
}

/// Writes one event as an NDJSON line.
pub fn write_ndjson_line(out: &mut Vec<u8>, event: &Event, display: Option<&Display>) {
    write_json(out, event, display);
    out.push(b'\n');
}

/// An event with its read-time `display` beside the hashed fields.
#[derive(Serialize)]
struct Shown<'a> {
    #[serde(flatten)]
    event: &'a Event,
    #[serde(skip_serializing_if = "Option::is_none")]
    display: Option<&'a Display>,
}

fn write_json(out: &mut Vec<u8>, event: &Event, display: Option<&Display>) {
    serde_json::to_writer(&mut *out, &Shown { event, display }).expect("events serialize");
}

/// Writes files of one format event by event: `begin`, then `event` per event, then `end`.
#[derive(Debug, Clone, Copy)]
pub struct Encoder {
    format: ExportFormat,
    written: u64,
}

impl Encoder {
    pub fn new(format: ExportFormat) -> Encoder {
        Encoder { format, written: 0 }
    }

    pub fn format(&self) -> ExportFormat {
        self.format
    }

    /// Events written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// The file's start: the CSV header, or the JSON array's `[`.
    pub fn begin(&mut self, out: &mut Vec<u8>) {
        self.written = 0;
        match self.format {
            ExportFormat::Csv => write_csv_header(out),
            ExportFormat::Json => out.push(b'['),
            ExportFormat::Ndjson => {}
        }
    }

    pub fn event(&mut self, out: &mut Vec<u8>, event: &Event) {
        self.shown(out, event, None);
    }

    /// One event with its read-time `display` (a JSON member beside the hashed fields, or the
    /// CSV's `label` and `display_text` columns).
    pub fn shown(&mut self, out: &mut Vec<u8>, event: &Event, display: Option<&Display>) {
        match self.format {
            ExportFormat::Csv => write_csv_row(out, event, display),
            ExportFormat::Ndjson => write_ndjson_line(out, event, display),
            ExportFormat::Json => {
                out.extend_from_slice(if self.written == 0 { b"\n" } else { b",\n" });
                write_json(out, event, display);
            }
        }
        self.written += 1;
    }

    /// The file's end: the JSON array's `]`.
    pub fn end(&mut self, out: &mut Vec<u8>) {
        if self.format == ExportFormat::Json {
            out.extend_from_slice(b"\n]\n");
        }
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    fn cell(text: &str) -> String {
        let mut out = Vec::new();
        write_csv_cell(&mut out, text);
        String::from_utf8(out).unwrap()
    }

    #[rstest]
    #[case("plain", "plain")]
    #[case("", "")]
    #[case("a,b", "\"a,b\"")]
    #[case("say \"hi\"", "\"say \"\"hi\"\"\"")]
    #[case("two\nlines", "\"two\nlines\"")]
    #[case("=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\"")]
    #[case("=1+2", "'=1+2")]
    #[case("+1", "'+1")]
    #[case("-1", "'-1")]
    #[case("@SUM(A1)", "'@SUM(A1)")]
    #[case("\tx", "'\tx")]
    #[case("\rx", "\"'\rx\"")]
    #[case("a=b", "a=b")]
    fn cells_are_quoted_and_neutralised(#[case] input: &str, #[case] expected: &str) {
        assert_eq!(cell(input), expected);
    }

    #[test]
    fn the_header_has_every_column_once_in_order() {
        let mut out = Vec::new();
        write_csv_header(&mut out);
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("id,seq,occurred_at,received_at,action,area,actor.id,"));
        assert!(text.ends_with(",prev,hash,label,display_text\r\n"));
        assert_eq!(text.trim_end().split(',').count(), CSV_COLUMNS.len());
    }

    #[test]
    fn an_empty_json_export_is_an_empty_array() {
        let mut encoder = Encoder::new(ExportFormat::Json);
        let mut out = Vec::new();
        encoder.begin(&mut out);
        encoder.end(&mut out);
        let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(value, serde_json::json!([]));
    }

    #[test]
    fn time_frames_have_the_dialogs_names() {
        let names: Vec<TimeFrame> =
            serde_json::from_str(r#"["last_30_days", "last_90_days", "custom"]"#).unwrap();
        assert_eq!(
            names,
            [
                TimeFrame::Last30Days,
                TimeFrame::Last90Days,
                TimeFrame::Custom
            ]
        );
    }

    #[rstest]
    #[case(TimeFrame::Last30Days, 30)]
    #[case(TimeFrame::Last90Days, 90)]
    fn relative_time_frames_end_now(#[case] frame: TimeFrame, #[case] days: i64) {
        let now = Millis(1_000 * DAY_MS);
        let (from, to) = frame.bounds(now, None, None);
        assert_eq!(from, Some(Millis((1_000 - days) * DAY_MS)));
        assert_eq!(to, None);
    }
}
