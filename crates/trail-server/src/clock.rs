//! Time as a dependency: server logic asks the [`Clock`] in `AppState` for the time instead of
//! reading the wall clock, so that tests move time forward instead of sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use trail_core::Millis;

/// Where server logic gets the time.
pub trait Clock: Send + Sync + std::fmt::Debug + 'static {
    fn now(&self) -> Millis;
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Millis {
        Millis::now()
    }
}

/// A clock that stands still until a test moves it: [`advance`](TestClock::advance) or
/// [`set`](TestClock::set). Clones share the same time.
#[derive(Debug, Clone)]
pub struct TestClock(Arc<AtomicI64>);

impl TestClock {
    /// A clock that reads `start`.
    pub fn at(start: Millis) -> TestClock {
        TestClock(Arc::new(AtomicI64::new(start.0)))
    }

    /// A clock that reads the wall clock's time now, then stands still.
    pub fn starting_now() -> TestClock {
        TestClock::at(Millis::now())
    }

    pub fn advance_ms(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }

    pub fn set(&self, at: Millis) {
        self.0.store(at.0, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> Millis {
        Millis(self.0.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_clock_moves_only_when_told() {
        let clock = TestClock::at(Millis(1_000));
        let shared = clock.clone();
        assert_eq!(clock.now(), Millis(1_000));
        shared.advance_ms(400);
        assert_eq!(clock.now(), Millis(1_400));
        clock.set(Millis(5));
        assert_eq!(shared.now(), Millis(5));
        assert!(SystemClock.now().0 > 1_600_000_000_000);
    }
}
