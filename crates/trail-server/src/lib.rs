//! trail-server (being written).
