//! Everything about an event that does not depend on its place in the log, computed before the
//! organization's head is locked: its column values and its canonical JSON cut where `prev` and
//! `seq` go ([`CanonicalParts`]). Under the lock only SHA-256 remains, so the lock is held for
//! microseconds per event. `Event::seal` stays the definition of the leaf hash; a test holds this
//! to it.

use std::net::IpAddr;

use trail_core::canonical::CanonicalParts;
use trail_core::event::NewEvent;

use super::text::index_words;

/// An event ready for the sequencer.
pub(super) struct Prepared {
    pub new: NewEvent,
    pub row: RowValues,
    canonical: CanonicalParts,
}

impl Prepared {
    pub fn new(organization_id: &str, new: NewEvent) -> Prepared {
        Prepared {
            row: RowValues::new(&new),
            canonical: CanonicalParts::new(organization_id, &new),
            new,
        }
    }

    /// The leaf hash of this event at `seq` after `prev`.
    pub fn leaf_hash(&self, prev: &[u8; 32], seq: u64) -> [u8; 32] {
        self.canonical.leaf_hash(prev, seq)
    }
}

/// The values of an event's columns other than `seq`, `prev` and `hash`. Strings drop NUL, which
/// PostgreSQL text cannot hold (`data` keeps it, escaped).
pub(super) struct RowValues {
    pub id: String,
    pub action: String,
    pub area: String,
    pub actor_id: String,
    pub actor_type: String,
    pub actor_name: Option<String>,
    pub actor_email: Option<String>,
    pub actor_role: Option<String>,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub resource_name: Option<String>,
    pub source: Option<String>,
    pub country: Option<String>,
    pub ip: Option<IpAddr>,
    /// The ASCII-lowercased target ids and names as a JSON array, `None` without any.
    pub targets: Option<String>,
    pub words: String,
    pub data: String,
}

fn searchable(value: &str) -> String {
    value.replace('\0', "")
}

fn searchable_opt(value: Option<&str>) -> Option<String> {
    value.map(searchable)
}

impl RowValues {
    fn new(new: &NewEvent) -> RowValues {
        let data = &new.data;
        let resource = data.resource.as_ref();
        let mut target_keys: Vec<String> = data
            .targets
            .iter()
            .flat_map(|t| [t.id.as_deref(), t.name.as_deref()])
            .flatten()
            .map(|value| searchable(value).to_ascii_lowercase())
            .collect();
        target_keys.sort_unstable();
        target_keys.dedup();
        RowValues {
            id: searchable(&data.id),
            action: searchable(&data.action),
            area: searchable(&data.area),
            actor_id: searchable(&data.actor.id),
            actor_type: searchable(&data.actor.kind),
            actor_name: searchable_opt(data.actor.name.as_deref()),
            actor_email: searchable_opt(data.actor.email.as_deref()),
            actor_role: searchable_opt(data.actor.role.as_deref()),
            resource_type: resource.map(|r| searchable(&r.kind)),
            resource_id: searchable_opt(resource.and_then(|r| r.id.as_deref())),
            resource_name: searchable_opt(resource.and_then(|r| r.name.as_deref())),
            source: searchable_opt(data.source.as_deref()),
            country: searchable_opt(data.country()),
            ip: ip_column(data.ip()),
            targets: (!target_keys.is_empty())
                .then(|| serde_json::to_string(&target_keys).expect("strings serialize")),
            words: index_words(data),
            data: serde_json::to_string(data).expect("events serialize"),
        }
    }
}

/// The `ip` column: only a canonically spelled address (others stay searchable as text only).
fn ip_column(ip: Option<&str>) -> Option<IpAddr> {
    let ip = ip?;
    let addr: IpAddr = ip.parse().ok()?;
    (addr.to_string() == ip).then_some(addr)
}

#[cfg(test)]
mod tests {
    use super::*;
    use trail_core::Millis;
    use trail_core::event::{Event, EventData};

    fn new_event(json: &str) -> NewEvent {
        let data: EventData = serde_json::from_str(json).expect("event data");
        NewEvent {
            data,
            received_at: Millis(1_800_000_000_001),
            client_id: true,
            occurred_at_defaulted: false,
        }
    }

    #[test]
    fn split_hashing_equals_event_seal() {
        let events = [
            r#"{"id":"e","action":"a.b","area":"a","occurred_at":"2026-01-01T00:00:00Z","actor":{"id":"u","type":"user"},"outcome":"success"}"#,
            r#"{"id":"evt_x","action":"member.role_changed","area":"members","occurred_at":"2027-03-04T05:06:07.089Z",
               "actor":{"id":"usr_1","type":"user","name":"Zoë \"Z\" Kim","email":"zoe@example.com","role":"Admin"},
               "resource":{"type":"member","id":"usr_2"},"targets":[{"type":"team","id":"t1","name":"Platform"}],
               "source":"web_ui","outcome":"failure","reason":"denied","description":"changed\u2028 a role\u0000",
               "context":{"ip":"10.0.0.1","request_id":"r","location":{"country":"DE","city":"Berlin"}},
               "changes":[{"field":"role","old":"a","new":null}],
               "metadata":{"z":1e3,"a":[1.5,"x"],"prev":"y","é":{"seq":-0.0,"b":true}}}"#,
        ];
        for json in events {
            let prev = [7u8; 32];
            for seq in [0, 9, 10, 123_456_789] {
                let prepared = Prepared::new("org_1", new_event(json));
                let sealed = Event::seal("org_1", seq, &hex::encode(prev), new_event(json));
                assert_eq!(
                    hex::encode(prepared.leaf_hash(&prev, seq)),
                    sealed.hash,
                    "{json} at {seq}"
                );
            }
        }
    }

    #[test]
    fn only_canonical_ip_spellings_get_the_column() {
        assert_eq!(ip_column(Some("203.0.113.7")), "203.0.113.7".parse().ok());
        assert_eq!(ip_column(Some("2001:db8::1")), "2001:db8::1".parse().ok());
        assert_eq!(ip_column(Some("2001:DB8::1")), None);
        assert_eq!(ip_column(Some("not an ip")), None);
        assert_eq!(ip_column(None), None);
    }
}
