//! The `trail ingest` state file: the ingest's id seed and how many events the server has
//! acknowledged, written atomically after every acknowledged batch so `--resume` can continue.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use trail_core::Millis;

const FORMAT_VERSION: u32 = 1;

/// What the file holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub version: u32,
    /// Mixed into every derived event id; kept so a resumed ingest derives the same ids.
    pub seed: String,
    /// The input this state belongs to, for people reading the file.
    pub input: String,
    /// Events acknowledged from the start of the input, in order.
    pub acknowledged: u64,
    /// Line of the last acknowledged event.
    pub last_line: u64,
    /// The whole input was acknowledged.
    pub complete: bool,
    pub updated_at: Millis,
}

impl State {
    /// A fresh ingest of `input` with a new random seed.
    pub fn new(input: String) -> State {
        let seed: [u8; 16] = rand::random();
        State {
            version: FORMAT_VERSION,
            seed: hex::encode(seed),
            input,
            acknowledged: 0,
            last_line: 0,
            complete: false,
            updated_at: Millis::now(),
        }
    }
}

/// Where the state of ingesting `input` goes by default: next to it, `FILE.trail-ingest`.
pub fn default_path(input: &Path) -> PathBuf {
    let mut name = input.as_os_str().to_owned();
    name.push(".trail-ingest");
    PathBuf::from(name)
}

/// Reads the state at `path`; `None` when there is none.
pub fn load(path: &Path) -> anyhow::Result<Option<State>> {
    let text = match std::fs::read(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => {
            return Err(err).with_context(|| format!("cannot read state file {}", path.display()));
        }
    };
    let state: State = serde_json::from_slice(&text)
        .with_context(|| format!("state file {} is damaged", path.display()))?;
    anyhow::ensure!(
        state.version == FORMAT_VERSION,
        "state file {} has format version {}, this trail reads {FORMAT_VERSION}",
        path.display(),
        state.version
    );
    Ok(Some(state))
}

/// Writes `state` to `path` durably: a temporary file, synced, renamed over the old one.
pub fn save(path: &Path, state: &State) -> anyhow::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let write = || -> std::io::Result<()> {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(&serde_json::to_vec_pretty(state)?)?;
        file.write_all(b"\n")?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().with_context(|| format!("cannot write state file {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_and_seeds_differ() {
        let dir = tempfile::tempdir().unwrap();
        let path = default_path(&dir.path().join("events.ndjson"));
        assert!(path.ends_with("events.ndjson.trail-ingest"));
        assert_eq!(load(&path).unwrap(), None);
        let mut state = State::new("events.ndjson".into());
        state.acknowledged = 1500;
        save(&path, &state).unwrap();
        save(&path, &state).unwrap();
        assert_eq!(load(&path).unwrap(), Some(state.clone()));
        assert_ne!(state.seed, State::new("events.ndjson".into()).seed);
        std::fs::write(&path, "{").unwrap();
        assert!(load(&path).unwrap_err().to_string().contains("damaged"));
    }
}
