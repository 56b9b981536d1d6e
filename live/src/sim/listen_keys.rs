//! listenKeys of the simulated user data stream (reference §6): created, kept alive and
//! closed over REST, checked when a WebSocket connects with `?listenKey=`.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// How long a key lives without a keep-alive: 60 minutes (reference §6).
pub const LISTEN_KEY_VALIDITY_MS: i64 = 60 * 60 * 1000;

/// Most keys one account may hold (reference §6: 60 per UID).
pub const MAX_KEYS_PER_ACCOUNT: usize = 60;

#[derive(Debug, Clone)]
struct Entry {
    api_key: String,
    expires_at_ms: i64,
    generation: u64,
}

/// Why a listenKey was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyProblem {
    /// Never issued, closed, or issued to another account.
    Unknown,
    /// Past its validity, or expired by fault injection.
    Expired,
    /// The account holds [`MAX_KEYS_PER_ACCOUNT`] keys already.
    TooMany,
}

/// The issued keys. Times are the simulator's wall-clock milliseconds.
#[derive(Debug, Default)]
pub struct ListenKeys {
    keys: Mutex<(BTreeMap<String, Entry>, u64)>,
}

impl ListenKeys {
    fn lock(&self) -> MutexGuard<'_, (BTreeMap<String, Entry>, u64)> {
        self.keys.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Issues a new key to `api_key` at `now_ms` in fault generation `generation`.
    pub fn create(&self, api_key: &str, now_ms: i64, generation: u64) -> Result<String, KeyProblem> {
        let mut guard = self.lock();
        let (keys, counter) = &mut *guard;
        keys.retain(|_, entry| entry.expires_at_ms > now_ms && entry.generation >= generation);
        if keys.values().filter(|e| e.api_key == api_key).count() >= MAX_KEYS_PER_ACCOUNT {
            return Err(KeyProblem::TooMany);
        }
        *counter += 1;
        // 64 hex characters like MEXC's keys; derived from a counter, so runs repeat.
        let key = format!("{:064x}", (u128::from(*counter) << 64) | 0x5eed_u128);
        keys.insert(
            key.clone(),
            Entry {
                api_key: api_key.to_owned(),
                expires_at_ms: now_ms + LISTEN_KEY_VALIDITY_MS,
                generation,
            },
        );
        Ok(key)
    }

    /// Extends `key` of `api_key` for another 60 minutes.
    pub fn keep_alive(&self, api_key: &str, key: &str, now_ms: i64, generation: u64) -> Result<(), KeyProblem> {
        let mut guard = self.lock();
        let entry = guard.0.get_mut(key).filter(|e| e.api_key == api_key).ok_or(KeyProblem::Unknown)?;
        if entry.expires_at_ms <= now_ms || entry.generation < generation {
            return Err(KeyProblem::Expired);
        }
        entry.expires_at_ms = now_ms + LISTEN_KEY_VALIDITY_MS;
        Ok(())
    }

    /// Closes `key` of `api_key`.
    pub fn close(&self, api_key: &str, key: &str) -> Result<(), KeyProblem> {
        let mut guard = self.lock();
        match guard.0.get(key) {
            Some(entry) if entry.api_key == api_key => {
                guard.0.remove(key);
                Ok(())
            }
            _ => Err(KeyProblem::Unknown),
        }
    }

    /// The keys of `api_key` still valid at `now_ms`.
    #[must_use]
    pub fn list(&self, api_key: &str, now_ms: i64, generation: u64) -> Vec<String> {
        self.lock()
            .0
            .iter()
            .filter(|(_, e)| e.api_key == api_key && e.expires_at_ms > now_ms && e.generation >= generation)
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// The account (API key) a valid `key` belongs to.
    pub fn owner(&self, key: &str, now_ms: i64, generation: u64) -> Result<String, KeyProblem> {
        let guard = self.lock();
        let entry = guard.0.get(key).ok_or(KeyProblem::Unknown)?;
        if entry.expires_at_ms <= now_ms || entry.generation < generation {
            return Err(KeyProblem::Expired);
        }
        Ok(entry.api_key.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_live_an_hour_unless_kept_alive_or_expired() {
        let keys = ListenKeys::default();
        let key = keys.create("A", 0, 0).expect("issued");
        assert_eq!(key.len(), 64);
        assert_eq!(keys.owner(&key, 1_000, 0), Ok("A".to_owned()));
        assert_eq!(keys.owner(&key, LISTEN_KEY_VALIDITY_MS, 0), Err(KeyProblem::Expired));
        keys.keep_alive("A", &key, 1_000, 0).expect("alive");
        assert_eq!(keys.owner(&key, LISTEN_KEY_VALIDITY_MS, 0), Ok("A".to_owned()));
        assert_eq!(keys.keep_alive("B", &key, 1_000, 0), Err(KeyProblem::Unknown));
        assert_eq!(keys.owner(&key, 2_000, 1), Err(KeyProblem::Expired), "fault generation moved");
        keys.close("A", &key).expect("closed");
        assert_eq!(keys.owner(&key, 2_000, 0), Err(KeyProblem::Unknown));
    }
}
