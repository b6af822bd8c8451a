//! What `trail verify` found, per organization, and how it is printed: one human line per
//! organization with its problems below it, or one JSON document for machines.

use serde::Serialize;

/// One thing that does not hold; `seq` when it is about one event.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub seq: Option<u64>,
    pub message: String,
}

impl Problem {
    pub fn at(seq: u64, message: impl Into<String>) -> Problem {
        Problem {
            seq: Some(seq),
            message: message.into(),
        }
    }

    pub fn log(message: impl Into<String>) -> Problem {
        Problem {
            seq: None,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.seq {
            Some(seq) => write!(f, "seq {seq}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// A checkpoint that was checked: its size and the keys whose signatures verified.
#[derive(Debug, Clone, Serialize)]
pub struct CheckedCheckpoint {
    pub size: u64,
    pub signed_by: Vec<String>,
}

/// The verdict on one organization's log.
#[derive(Debug, Clone, Serialize)]
pub struct OrgReport {
    pub organization_id: String,
    pub valid: bool,
    /// Positions in the log: one past the largest stored seq.
    pub events: u64,
    pub valid_events: u64,
    pub checkpoint: Option<CheckedCheckpoint>,
    pub trusted_checkpoint: Option<u64>,
    /// Every problem, in the order found (the first names the first bad seq).
    pub problems: Vec<Problem>,
    /// Facts worth knowing that do not make the log invalid.
    pub notes: Vec<String>,
}

impl OrgReport {
    pub fn print_human(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        writeln!(
            out,
            "{}: {}/{} events valid",
            self.organization_id, self.valid_events, self.events
        )?;
        if let Some(checkpoint) = &self.checkpoint {
            let verdict = match self.valid {
                true => "root matches",
                false => "checked",
            };
            writeln!(
                out,
                "  checkpoint at size {} signed by {}: {verdict}",
                checkpoint.size,
                checkpoint.signed_by.join(", ")
            )?;
        }
        if let Some(size) = self.trusted_checkpoint {
            writeln!(out, "  trusted checkpoint at size {size} checked")?;
        }
        for note in &self.notes {
            writeln!(out, "  note: {note}")?;
        }
        const SHOWN: usize = 10;
        for problem in self.problems.iter().take(SHOWN) {
            writeln!(out, "  {problem}")?;
        }
        if self.problems.len() > SHOWN {
            writeln!(out, "  … and {} more problems", self.problems.len() - SHOWN)?;
        }
        Ok(())
    }
}

/// The whole run, as `--json` prints it.
#[derive(Debug, Serialize)]
pub struct Report {
    pub valid: bool,
    pub organizations: Vec<OrgReport>,
    pub warnings: Vec<String>,
}
