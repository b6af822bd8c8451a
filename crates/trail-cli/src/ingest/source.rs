//! Reading events for `trail ingest`: NDJSON line by line (constant memory) or one JSON array,
//! giving each event without an `id` a deterministic one, and cutting them into request-sized batches.

use std::io::BufRead;

use anyhow::{Context as _, bail};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// One event as read: where it starts in the input and its JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawEvent {
    /// 1-based line of the input the event starts on.
    pub line: u64,
    /// Bytes of the input read up to the end of this event, for progress.
    pub end: u64,
    pub json: Vec<u8>,
}

/// The events of an input, in order.
pub enum EventReader<R> {
    /// One JSON value per non-blank line.
    Ndjson {
        input: R,
        line: u64,
        offset: u64,
        buf: Vec<u8>,
    },
    /// A JSON array read whole: the events still to give, with their starting lines.
    Array(std::vec::IntoIter<RawEvent>),
}

impl<R: BufRead> EventReader<R> {
    /// Detects the format from the first non-blank byte: `[` is a JSON array, anything else NDJSON.
    pub fn detect(mut input: R) -> anyhow::Result<EventReader<R>> {
        let mut skipped = 0;
        let mut newlines = 0;
        let first = loop {
            let buf = input.fill_buf().context("cannot read the input")?;
            let Some(&byte) = buf.first() else { break None };
            if byte.is_ascii_whitespace() {
                input.consume(1);
                skipped += 1;
                newlines += u64::from(byte == b'\n');
                continue;
            }
            break Some(byte);
        };
        if first != Some(b'[') {
            return Ok(EventReader::Ndjson {
                input,
                line: newlines,
                offset: skipped,
                buf: Vec::new(),
            });
        }
        let mut text = Vec::new();
        input
            .read_to_end(&mut text)
            .context("cannot read the input")?;
        let mut events = split_array(&text)?;
        for event in &mut events {
            event.line += newlines;
            event.end += skipped;
        }
        Ok(EventReader::Array(events.into_iter()))
    }

    /// The next event, `None` at the end.
    pub fn next_event(&mut self) -> anyhow::Result<Option<RawEvent>> {
        match self {
            EventReader::Array(events) => Ok(events.next()),
            EventReader::Ndjson {
                input,
                line,
                offset,
                buf,
            } => loop {
                buf.clear();
                let read = input
                    .read_until(b'\n', buf)
                    .with_context(|| format!("cannot read line {}", *line + 1))?;
                if read == 0 {
                    return Ok(None);
                }
                *line += 1;
                *offset += read as u64;
                let text = buf.trim_ascii();
                if !text.is_empty() {
                    return Ok(Some(RawEvent {
                        line: *line,
                        end: *offset,
                        json: text.to_vec(),
                    }));
                }
            },
        }
    }
}

/// Splits a JSON array into its elements' text, each with the line it starts on.
fn split_array(text: &[u8]) -> anyhow::Result<Vec<RawEvent>> {
    let elements: Vec<&serde_json::value::RawValue> = serde_json::from_slice(text)
        .context("the input starts with `[` but is not a JSON array")?;
    let base = text.as_ptr() as usize;
    let mut line = 1;
    let mut counted_to = 0;
    let mut events = Vec::with_capacity(elements.len());
    for element in elements {
        let start = element.get().as_ptr() as usize - base;
        line += text[counted_to..start]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        counted_to = start;
        events.push(RawEvent {
            line,
            end: (start + element.get().len()) as u64,
            json: element.get().as_bytes().to_vec(),
        });
    }
    Ok(events)
}

/// `evt_ing_` + the first 24 hex digits of SHA-256(seed ‖ position ‖ event text): the same event at
/// the same position of the same ingest always gets the same id, so sending it again is idempotent.
pub fn derived_id(seed: &str, index: u64, json: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(seed.as_bytes());
    hash.update([0]);
    hash.update(index.to_be_bytes());
    hash.update(json);
    let digest = hex::encode(hash.finalize());
    format!("evt_ing_{}", &digest[..24])
}

/// The event's JSON ready to send: compact, on one line, with an `id` (derived when absent or null).
pub fn prepare(seed: &str, index: u64, raw: &RawEvent) -> anyhow::Result<Vec<u8>> {
    let mut object: Map<String, Value> = match serde_json::from_slice(&raw.json) {
        Ok(Value::Object(object)) => object,
        Ok(other) => bail!(
            "line {}: expected a JSON object (one event), found {}",
            raw.line,
            kind(&other)
        ),
        Err(err) => bail!("line {}: not valid JSON: {err}", raw.line),
    };
    if object.get("id").is_none_or(Value::is_null) {
        object.insert(
            "id".to_owned(),
            Value::String(derived_id(seed, index, &raw.json)),
        );
    }
    Ok(serde_json::to_vec(&object)?)
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A request's worth of events: an NDJSON body and the input line of each event in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// Position of the batch's first event in the input (0-based, counting skipped events).
    pub first_index: u64,
    pub lines: Vec<u64>,
    /// Bytes of the input read up to the end of the batch's last event.
    pub end: u64,
    pub body: Vec<u8>,
}

impl Batch {
    fn empty() -> Batch {
        Batch {
            first_index: 0,
            lines: Vec::new(),
            end: 0,
            body: Vec::new(),
        }
    }
}

/// Collects prepared events into batches of at most `max_events` events and `max_bytes` bytes.
pub struct Batcher {
    max_events: usize,
    max_bytes: usize,
    current: Batch,
}

impl Batcher {
    pub fn new(max_events: usize, max_bytes: usize) -> Batcher {
        Batcher {
            max_events,
            max_bytes,
            current: Batch::empty(),
        }
    }

    /// Adds the event at `index`; answers the batch it completed, if adding it closed one. An event
    /// larger than `max_bytes` goes alone (the server then says why it is too large).
    pub fn push(&mut self, index: u64, raw: &RawEvent, json: &[u8]) -> Option<Batch> {
        // The event and its newline.
        let fits = self.current.body.len() + json.len() < self.max_bytes;
        let done = if self.current.lines.is_empty() || fits {
            None
        } else {
            self.take()
        };
        if self.current.lines.is_empty() {
            self.current.first_index = index;
        }
        self.current.lines.push(raw.line);
        self.current.end = raw.end;
        self.current.body.extend_from_slice(json);
        self.current.body.push(b'\n');
        if done.is_none() && self.current.lines.len() >= self.max_events {
            return self.take();
        }
        done
    }

    /// The last, partly filled batch.
    pub fn finish(mut self) -> Option<Batch> {
        self.take()
    }

    fn take(&mut self) -> Option<Batch> {
        if self.current.lines.is_empty() {
            return None;
        }
        Some(std::mem::replace(&mut self.current, Batch::empty()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn read_all(input: &str) -> (bool, Vec<(u64, String)>) {
        let mut reader = EventReader::detect(input.as_bytes()).unwrap();
        let mut events = Vec::new();
        while let Some(event) = reader.next_event().unwrap() {
            let end = usize::try_from(event.end).unwrap();
            let json = String::from_utf8(event.json).unwrap();
            assert!(input[..end].trim_end().ends_with(&json), "{end} {json}");
            events.push((event.line, json));
        }
        (matches!(reader, EventReader::Array(_)), events)
    }

    #[rstest]
    #[case::ndjson("{\"a\":1}\n\n  {\"a\":2}\r\n{\"a\":3}", false)]
    #[case::ndjson_without_final_newline("\n{\"a\":1}\n\n{\"a\":2}\n{\"a\":3}\n", false)]
    #[case::array("[{\"a\":1},\n\n {\"a\":2},\n{\"a\":3}]", true)]
    #[case::array_after_blank_lines_and_spaces(
        "\n  [\n{\"a\":1},\n\n {\"a\":2},\n{\"a\":3}\n]\n",
        true
    )]
    fn detects_the_format_and_reads_every_event(#[case] input: &str, #[case] array: bool) {
        let (is_array, events) = read_all(input);
        assert_eq!(is_array, array);
        let texts: Vec<&str> = events.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(texts, [r#"{"a":1}"#, r#"{"a":2}"#, r#"{"a":3}"#]);
    }

    #[test]
    fn lines_point_where_each_event_starts() {
        let (_, events) = read_all("{\"a\":1}\n\n{\"a\":2}\n");
        assert_eq!(events.iter().map(|e| e.0).collect::<Vec<_>>(), [1, 3]);
        let (_, events) = read_all("[\n{\"a\":1},\n\n{\"a\":\n2}]");
        assert_eq!(events.iter().map(|e| e.0).collect::<Vec<_>>(), [2, 4]);
        let (_, events) = read_all("\n\n[{\"a\":1},\n{\"a\":2}]");
        assert_eq!(events.iter().map(|e| e.0).collect::<Vec<_>>(), [3, 4]);
        let (_, events) = read_all("\n\n{\"a\":1}\n{\"a\":2}");
        assert_eq!(events.iter().map(|e| e.0).collect::<Vec<_>>(), [3, 4]);
    }

    #[test]
    fn a_broken_array_is_an_error_not_ndjson() {
        assert!(EventReader::detect("[{\"a\":1},".as_bytes()).is_err());
    }

    #[test]
    fn ids_are_derived_only_when_missing_and_are_stable() {
        let raw = |json: &str| RawEvent {
            line: 7,
            end: 0,
            json: json.as_bytes().to_vec(),
        };
        let event = raw(r#"{"action":"a","actor":{"id":"u"}}"#);
        let first: Value = serde_json::from_slice(&prepare("seed", 3, &event).unwrap()).unwrap();
        let again: Value = serde_json::from_slice(&prepare("seed", 3, &event).unwrap()).unwrap();
        let id = first["id"].as_str().unwrap();
        assert_eq!(first, again);
        assert!(id.starts_with("evt_ing_") && id.len() == 32, "{id}");
        assert_ne!(id, derived_id("seed", 4, &event.json), "position matters");
        assert_ne!(
            id,
            derived_id("other", 3, &event.json),
            "the ingest matters"
        );
        let null_id = prepare("seed", 3, &raw(r#"{"id":null,"action":"a"}"#)).unwrap();
        assert!(String::from_utf8(null_id).unwrap().contains("evt_ing_"));
        let own = prepare("seed", 3, &raw(r#"{"id":"evt_mine","action":"a"}"#)).unwrap();
        assert_eq!(own, br#"{"action":"a","id":"evt_mine"}"#);
    }

    #[rstest]
    #[case("[1]", "line 7: expected a JSON object (one event), found an array")]
    #[case("{\"a\":", "line 7: not valid JSON")]
    fn non_objects_are_named_by_line(#[case] json: &str, #[case] message: &str) {
        let raw = RawEvent {
            line: 7,
            end: 0,
            json: json.as_bytes().to_vec(),
        };
        let err = prepare("s", 0, &raw).unwrap_err().to_string();
        assert!(err.starts_with(message), "{err}");
    }

    #[test]
    fn batches_close_on_count_and_on_size() {
        let mut batcher = Batcher::new(3, 20);
        let mut batches = Vec::new();
        for (index, json) in [
            "aaaa",
            "bbbb",
            "cccc",
            "dddd",
            "eeeeeeeeeeeeeeeeeeeeeeeee",
            "ffff",
        ]
        .iter()
        .enumerate()
        {
            let raw = RawEvent {
                line: index as u64 + 1,
                end: index as u64 * 10,
                json: Vec::new(),
            };
            batches.extend(batcher.push(index as u64, &raw, json.as_bytes()));
        }
        batches.extend(batcher.finish());
        let shape: Vec<(u64, Vec<u64>, &str)> = batches
            .iter()
            .map(|b| {
                (
                    b.first_index,
                    b.lines.clone(),
                    std::str::from_utf8(&b.body).unwrap(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            [
                (0, vec![1, 2, 3], "aaaa\nbbbb\ncccc\n"),
                (3, vec![4], "dddd\n"),
                (4, vec![5], "eeeeeeeeeeeeeeeeeeeeeeeee\n"),
                (5, vec![6], "ffff\n"),
            ]
        );
    }
}
