//! Locations added at ingest: when an event has a public IP address and no `context.location`,
//! Trail looks the address up in the MaxMind-format (`.mmdb`) database the operator configured
//! (`location_database`: GeoLite2/GeoIP2 City or Country, or DB-IP's files in the same format)
//! and fills in country, region and city. The event then carries `trail.location_source` (the
//! database's type), so the location reads as Trail's addition, not the sender's words
//! (docs/integrity.md, "Trail-added fields"). Private, loopback, link-local, documentation and
//! other reserved addresses are never looked up.

use std::collections::BTreeMap;
use std::net::IpAddr;
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
        if !crate::addresses::is_public(ip) {
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
