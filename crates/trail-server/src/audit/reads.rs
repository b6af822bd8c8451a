//! The bounded queue that audited reads pass through: at most [`ReadGate::capacity`] reads wait
//! for their audit event at once. A read that finds it full is answered 503 with `Retry-After`
//! rather than served unrecorded or queued without bound.
//!
//! Metrics: `trail_audit_reads_in_flight` (gauge) and `trail_audit_reads_rejected_total`.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::{ApiError, ApiResult};

/// Reads whose audit event may be in flight at once, by default.
pub const DEFAULT_CAPACITY: usize = 1024;

#[derive(Debug, Clone)]
pub struct ReadGate {
    slots: Arc<Semaphore>,
    capacity: usize,
}

/// A place in the queue, given back when dropped.
#[derive(Debug)]
pub struct Admitted {
    _permit: OwnedSemaphorePermit,
    gate: ReadGate,
}

impl ReadGate {
    pub fn new(capacity: usize) -> ReadGate {
        let capacity = capacity.max(1);
        ReadGate {
            slots: Arc::new(Semaphore::new(capacity)),
            capacity,
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Reads waiting for their audit event now.
    pub fn in_flight(&self) -> usize {
        self.capacity - self.slots.available_permits()
    }

    /// A place in the queue, or 503 when it is full.
    pub fn admit(&self) -> ApiResult<Admitted> {
        match Arc::clone(&self.slots).try_acquire_owned() {
            Ok(permit) => {
                let admitted = Admitted {
                    _permit: permit,
                    gate: self.clone(),
                };
                self.publish();
                Ok(admitted)
            }
            Err(_) => {
                metrics::counter!("trail_audit_reads_rejected_total").increment(1);
                Err(ApiError::unavailable(
                    "Too many reads are waiting to be recorded in the audit log; retry shortly.",
                ))
            }
        }
    }

    fn publish(&self) {
        metrics::gauge!("trail_audit_reads_in_flight").set(self.in_flight() as f64);
    }
}

impl Default for ReadGate {
    fn default() -> Self {
        ReadGate::new(DEFAULT_CAPACITY)
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        // The permit is released after this body; count it as gone already.
        metrics::gauge!("trail_audit_reads_in_flight")
            .set(self.gate.in_flight().saturating_sub(1) as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_gate_refuses_with_503_until_a_place_frees() {
        let gate = ReadGate::new(2);
        let first = gate.admit().unwrap();
        let _second = gate.admit().unwrap();
        assert_eq!(gate.in_flight(), 2);
        let refused = gate.admit().unwrap_err();
        assert_eq!(refused.status, axum::http::StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(refused.retry_after_secs, Some(1));
        drop(first);
        assert_eq!(gate.in_flight(), 1);
        gate.admit().unwrap();
    }
}
