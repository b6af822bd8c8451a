//! The v1 columns of an event, read back for the conversion to the block log: compact ids and
//! IPs, and the JSON `body` that held the fields without a column of their own.

use std::net::IpAddr;

use rusqlite::types::ValueRef;
use serde::{Deserialize, Serialize};
use serde_json::Map;
use trail_core::event::{Change, Context, EventData, Location, Resource, TrailAdded};

const SERVER_ID_PREFIX: &str = "evt_";

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
    fn server_ids_are_read_from_bytes_and_others_from_text() {
        let bytes = hex::decode("0190f5b2c3d47e8f9a0b1c2d3e4f5a6b").unwrap();
        assert_eq!(
            id_text(ValueRef::Blob(&bytes)).unwrap(),
            "evt_0190f5b2c3d47e8f9a0b1c2d3e4f5a6b"
        );
        assert_eq!(id_text(ValueRef::Text(b"order-7")).unwrap(), "order-7");
    }

    #[test]
    fn ips_are_read_from_their_bytes() {
        assert_eq!(ip_text(&[203, 0, 113, 7]).unwrap(), "203.0.113.7");
        let mut v6 = [0u8; 16];
        v6[..2].copy_from_slice(&[0x20, 0x01]);
        v6[2..4].copy_from_slice(&[0x0d, 0xb8]);
        v6[15] = 1;
        assert_eq!(ip_text(&v6).unwrap(), "2001:db8::1");
        assert_eq!(ip_text(&[1, 2, 3]), None);
    }
}
