//! A small least-recently-used cache bounded by bytes, shared by the readers: decoded pages of the
//! index runs and the blocks' time columns. Everything it holds is immutable once written (a run's
//! id is never reused; an event's time never changes), so an entry never goes stale.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::sync::{Arc, Mutex};

struct Entry<V> {
    value: Arc<V>,
    bytes: usize,
    tick: u64,
}

struct Inner<K, V> {
    entries: HashMap<K, Entry<V>>,
    /// Entries by last use, oldest first.
    order: BTreeMap<u64, K>,
    bytes: usize,
    tick: u64,
}

/// Holds at most `budget` bytes (as told by `insert`); the least recently used entries go first.
pub(super) struct ByteLru<K, V> {
    inner: Mutex<Inner<K, V>>,
    budget: usize,
}

impl<K: Hash + Eq + Clone, V> ByteLru<K, V> {
    pub fn new(budget: usize) -> ByteLru<K, V> {
        ByteLru {
            inner: Mutex::new(Inner {
                entries: HashMap::new(),
                order: BTreeMap::new(),
                bytes: 0,
                tick: 0,
            }),
            budget,
        }
    }

    pub fn get(&self, key: &K) -> Option<Arc<V>> {
        let mut inner = self.inner.lock().expect("cache lock");
        inner.tick += 1;
        let tick = inner.tick;
        let entry = inner.entries.get_mut(key)?;
        let (old, value) = (entry.tick, Arc::clone(&entry.value));
        entry.tick = tick;
        inner.order.remove(&old);
        inner.order.insert(tick, key.clone());
        Some(value)
    }

    /// Keeps `value` (about `bytes` bytes) unless it alone exceeds the budget.
    pub fn insert(&self, key: K, value: Arc<V>, bytes: usize) {
        if bytes > self.budget {
            return;
        }
        let mut inner = self.inner.lock().expect("cache lock");
        inner.tick += 1;
        let tick = inner.tick;
        if let Some(old) = inner
            .entries
            .insert(key.clone(), Entry { value, bytes, tick })
        {
            inner.order.remove(&old.tick);
            inner.bytes -= old.bytes;
        }
        inner.order.insert(tick, key);
        inner.bytes += bytes;
        while inner.bytes > self.budget {
            let Some((_, oldest)) = inner.order.pop_first() else {
                break;
            };
            if let Some(gone) = inner.entries.remove(&oldest) {
                inner.bytes -= gone.bytes;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_entries_leave_first() {
        let cache: ByteLru<u32, u32> = ByteLru::new(30);
        for key in 0..3 {
            cache.insert(key, Arc::new(key), 10);
        }
        assert_eq!(cache.get(&0).as_deref(), Some(&0));
        cache.insert(3, Arc::new(3), 10);
        assert!(cache.get(&1).is_none(), "1 was the least recently used");
        assert_eq!(cache.get(&0).as_deref(), Some(&0));
        assert_eq!(cache.get(&3).as_deref(), Some(&3));
        cache.insert(4, Arc::new(4), 31);
        assert!(cache.get(&4).is_none(), "larger than the whole budget");
        cache.insert(3, Arc::new(33), 25);
        assert_eq!(cache.get(&3).as_deref(), Some(&33));
        assert!(cache.get(&0).is_none() && cache.get(&2).is_none());
    }
}
