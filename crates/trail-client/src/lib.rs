//! trail-client (being written).
