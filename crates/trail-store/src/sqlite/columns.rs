//! How an event's fields map onto columns: compact ids and IPs, and the JSON `body` that holds
//! the fields without a column of their own. Both directions must round-trip exactly, because the
//! leaf hash is recomputed from what is read back.

use std::net::IpAddr;

use rusqlite::types::{Value, ValueRef};
use serde::{Deserialize, Serialize};
use serde_json::Map;
use trail_core::event::{Change, Context, EventData, Location, Resource, TrailAdded};

const SERVER_ID_PREFIX: &str = "evt_";

/// The stored form of an event id: the 16 bytes of a server id (`evt_` + 32 lowercase hex
/// digits), the text of any other id. The mapping is one-to-one.
pub(super) fn id_key(id: &str) -> Value {
    let hex = id.strip_prefix(SERVER_ID_PREFIX).filter(|h| {
        h.len() == 32
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    });
    match hex.and_then(|h| hex::decode(h).ok()) {
        Some(bytes) => Value::Blob(bytes),
        None => Value::Text(id.to_owned()),
    }
}

/// The id text of a stored id.
pub(super) fn id_text(stored: ValueRef<'_>) -> Option<String> {
    match stored {
        ValueRef::Blob(bytes) => Some(format!(
            "{SERVER_ID_PREFIX}{}",
            trail_core::ids::hex_lower(bytes)
        )),
        ValueRef::Text(text) => std::str::from_utf8(text).ok().map(str::to_owned),
        _ => None,
    }
}

/// The stored form of an IP: 4 bytes for IPv4, 16 for IPv6, so that a CIDR block is a range.
/// Only canonical spellings are stored this way (others stay verbatim in the body).
pub(super) fn ip_blob(ip: &str) -> Option<Vec<u8>> {
    let addr: IpAddr = ip.parse().ok()?;
    (addr.to_string() == ip).then(|| ip_bytes(addr))
}

pub(super) fn ip_bytes(addr: IpAddr) -> Vec<u8> {
    match addr {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => v6.octets().to_vec(),
    }
}

pub(super) fn ip_text(blob: &[u8]) -> Option<String> {
    if let Ok(v4) = <[u8; 4]>::try_from(blob) {
        return Some(IpAddr::from(v4).to_string());
    }
    <[u8; 16]>::try_from(blob)
        .ok()
        .map(|v6| IpAddr::from(v6).to_string())
}

/// The fields of an event that have no column, under one-letter keys.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct Body {
    #[serde(rename = "t", default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<Resource>,
    #[serde(rename = "r", default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(rename = "d", default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(rename = "x", default, skip_serializing_if = "Option::is_none")]
    pub context: Option<ContextRest>,
    #[serde(rename = "c", default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
    #[serde(rename = "m", default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, serde_json::Value>>,
    #[serde(rename = "a", default, skip_serializing_if = "Option::is_none")]
    pub trail: Option<TrailAdded>,
}

/// `context` without the columns `ip` (unless not canonical) and `location.country`.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct ContextRest {
    #[serde(rename = "i", default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(rename = "u", default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    #[serde(rename = "q", default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(rename = "l", default, skip_serializing_if = "Option::is_none")]
    pub location: Option<LocationRest>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct LocationRest {
    #[serde(rename = "r", default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(rename = "c", default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
}

impl Body {
    /// Splits the body-only fields off `data`; returns them as JSON (`None` when empty) with the
    /// IP column.
    pub fn encode(data: &EventData) -> (Option<String>, Option<Vec<u8>>) {
        let ip_column = data.ip().and_then(ip_blob);
        let context = data.context.as_ref().map(|c| ContextRest {
            ip: c.ip.clone().filter(|_| ip_column.is_none()),
            user_agent: c.user_agent.clone(),
            request_id: c.request_id.clone(),
            location: c.location.as_ref().map(|l| LocationRest {
                region: l.region.clone(),
                city: l.city.clone(),
            }),
        });
        let body = Body {
            targets: data.targets.clone(),
            reason: data.reason.clone(),
            description: data.description.clone(),
            context,
            changes: data.changes.clone(),
            metadata: data.metadata.clone(),
            trail: data.trail.clone(),
        };
        let json = serde_json::to_string(&body).expect("bodies always serialize");
        ((json != "{}").then_some(json), ip_column)
    }

    pub fn decode(json: Option<&str>) -> Result<Body, serde_json::Error> {
        json.map_or_else(|| Ok(Body::default()), serde_json::from_str)
    }

    /// Moves the body's fields back into `data`, with the `ip` and `country` columns.
    pub fn restore(self, data: &mut EventData, ip: Option<String>, country: Option<String>) {
        data.targets = self.targets;
        data.reason = self.reason;
        data.description = self.description;
        data.changes = self.changes;
        data.metadata = self.metadata;
        data.trail = self.trail;
        data.context = self.context.map(|c| Context {
            ip: c.ip.or(ip),
            user_agent: c.user_agent,
            request_id: c.request_id,
            location: c.location.map(|l| Location {
                country,
                region: l.region,
                city: l.city,
            }),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_ids_are_stored_as_bytes_and_others_as_text() {
        let server = "evt_0190f5b2c3d47e8f9a0b1c2d3e4f5a6b";
        assert!(matches!(id_key(server), Value::Blob(ref b) if b.len() == 16));
        let Value::Blob(bytes) = id_key(server) else {
            unreachable!()
        };
        assert_eq!(id_text(ValueRef::Blob(&bytes)).unwrap(), server);
        for client in ["evt_0190F5B2C3D47E8F9A0B1C2D3E4F5A6B", "evt_1", "order-7"] {
            assert_eq!(id_key(client), Value::Text(client.to_owned()));
        }
    }

    #[test]
    fn canonical_ips_round_trip_through_bytes() {
        for ip in ["203.0.113.7", "2001:db8::1", "::ffff:1.2.3.4"] {
            let blob = ip_blob(ip).unwrap();
            assert_eq!(ip_text(&blob).unwrap(), ip);
        }
        assert_eq!(ip_blob("2001:DB8::1"), None);
        assert_eq!(ip_blob("not an ip"), None);
    }
}
