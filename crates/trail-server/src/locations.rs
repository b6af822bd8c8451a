//! Locations added at ingest: when an event has a public IP address and no `context.location`,
//! Trail looks the address up in the MaxMind-format (`.mmdb`) database the operator configured
//! (`location_database`: GeoLite2/GeoIP2 City or Country, or DB-IP's files in the same format)
//! and fills in country, region and city. The event then carries `trail.location_source` (the
//! database's type), so the location reads as Trail's addition, not the sender's words
//! (docs/integrity.md, "Trail-added fields"). Private, loopback, link-local, documentation and
//! other reserved addresses are never looked up.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

use anyhow::Context as _;
use serde::Deserialize;
use trail_core::event::{Location, NewEvent, TrailAdded};

/// An opened location database.
pub struct Locator {
    reader: maxminddb::Reader<Vec<u8>>,
    /// The database's `database_type` (`GeoLite2-City`, `DBIP-City-Lite`, …).
    source: String,
}

impl std::fmt::Debug for Locator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Locator")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// The parts of a City or Country record Trail reads; every field may be missing.
#[derive(Deserialize)]
struct Record<'a> {
    #[serde(borrow, default)]
    country: Option<Place<'a>>,
    #[serde(borrow, default)]
    subdivisions: Option<Vec<Place<'a>>>,
    #[serde(borrow, default)]
    city: Option<Place<'a>>,
}

#[derive(Deserialize)]
struct Place<'a> {
    #[serde(borrow, default)]
    iso_code: Option<&'a str>,
    #[serde(borrow, default)]
    names: Option<BTreeMap<&'a str, &'a str>>,
}

impl Place<'_> {
    fn english_name(&self) -> Option<String> {
        self.names.as_ref()?.get("en").map(|s| (*s).to_owned())
    }
}

impl Locator {
    /// Opens `path`; a missing file or one that is not an MMDB database is an error naming it.
    pub fn open(path: &Path) -> anyhow::Result<Locator> {
        let bytes = std::fs::read(path)
            .with_context(|| format!("location_database: cannot read {}", path.display()))?;
        let reader = maxminddb::Reader::from_source(bytes).map_err(|e| {
            anyhow::anyhow!(
                "location_database: {} is not a MaxMind DB (.mmdb) file: {e}",
                path.display()
            )
        })?;
        let source = reader.metadata.database_type.clone();
        Ok(Locator { reader, source })
    }

    /// The database's type, as recorded in `trail.location_source`.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The location of a public `ip`, or `None` (not public, not in the database, or a record
    /// with neither a country nor a city).
    pub fn locate(&self, ip: IpAddr) -> Option<Location> {
        if !is_public(ip) {
            return None;
        }
        let record: Record = self.reader.lookup(ip).ok()?.decode().ok()??;
        let country = record
            .country
            .as_ref()
            .and_then(|c| c.iso_code)
            .map(|c| c.to_ascii_uppercase());
        let region = record
            .subdivisions
            .as_ref()
            .and_then(|s| s.first())
            .and_then(|s| s.english_name().or_else(|| s.iso_code.map(str::to_owned)));
        let city = record.city.as_ref().and_then(Place::english_name);
        if country.is_none() && city.is_none() {
            return None;
        }
        Some(Location {
            country,
            region,
            city,
        })
    }

    /// Fills in `context.location` of every event that has an address and no location.
    pub fn enrich(&self, events: &mut [NewEvent]) {
        for event in events {
            let data = &mut event.data;
            let Some(context) = data.context.as_mut() else {
                continue;
            };
            if context.location.is_some() {
                continue;
            }
            let Some(ip) = context.ip.as_deref().and_then(|ip| ip.parse().ok()) else {
                continue;
            };
            if let Some(location) = self.locate(ip) {
                context.location = Some(location);
                data.trail
                    .get_or_insert_with(TrailAdded::default)
                    .location_source = Some(self.source.clone());
            }
        }
    }
}

/// Whether `ip` is a globally routed unicast address: not private, loopback, link-local,
/// shared (CGNAT), documentation, benchmarking, multicast, broadcast or otherwise reserved.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_unspecified()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // 100.64.0.0/10 shared address space
        || (a == 192 && b == 0 && c == 0) // 192.0.0.0/24 protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // 198.18.0.0/15 benchmarking
        || a >= 240) // 240.0.0.0/4 reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // fc00::/7 unique local
        || (first & 0xffc0) == 0xfe80 // fe80::/10 link-local
        || (first == 0x2001 && ip.segments()[1] == 0x0db8) // 2001:db8::/32 documentation
        || first == 0x0064 && ip.segments()[1] == 0xff9b && ip.segments()[2] == 1 // 64:ff9b:1::/48
        || first == 0x0100 && ip.segments()[1..4] == [0, 0, 0]) // 100::/64 discard
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_looked_up() {
        for private in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "127.0.0.1",
            "169.254.1.1",
            "100.64.0.1",
            "192.0.2.10",
            "198.51.100.1",
            "203.0.113.5",
            "198.18.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "240.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "2001:db8::1",
            "ff02::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in [
            "81.2.69.142",
            "8.8.8.8",
            "2a02:ff0::1",
            "::ffff:81.2.69.142",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }
}
