//! What the journal keeps in memory about its orders, so that the writes of a bar time do
//! not ask the database (a `DuckDB` point query or update costs ~0.6–0.8 ms, re-planned at
//! every execution: BENCHMARKS.md, session 11):
//! - every order not yet closed (filled, canceled, rejected, expired), as stored;
//! - per client-order-id prefix, the highest sequence among the stored ids of the form
//!   `<prefix>-<n>` (the engine's ids are `<bot>-<n>`, rising): an intent whose id is above
//!   it is certainly new, and only others are looked up.
//!
//! The index lives in the journal's cursor, which a transaction moves forward only when it
//! commits: a failed write leaves it as it was.

use std::collections::HashMap;

use vela_core::types::Order;

/// Open orders by client order id, and the highest stored sequence per id prefix.
#[derive(Debug, Clone, Default)]
pub(super) struct OrderIndex {
    open: HashMap<String, Order>,
    highest: HashMap<String, u64>,
}

/// The prefix and sequence of a client order id of the form `<prefix>-<n>` (`n` decimal
/// digits without a leading zero, fitting a `u64`), as the engine makes them.
fn sequenced(client_id: &str) -> Option<(&str, u64)> {
    let (prefix, digits) = client_id.rsplit_once('-')?;
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    if !canonical {
        return None;
    }
    digits.parse().ok().map(|n| (prefix, n))
}

impl OrderIndex {
    /// Takes note of a client order id found stored (when the journal is opened).
    pub(super) fn note_stored_id(&mut self, client_id: &str) {
        if let Some((prefix, n)) = sequenced(client_id) {
            let highest = self.highest.entry(prefix.to_owned()).or_insert(n);
            *highest = (*highest).max(n);
        }
    }

    /// Whether no order can be stored under `client_id`: an id `<prefix>-<n>` with `n`
    /// above every stored sequence of its prefix. `false` means "look it up".
    pub(super) fn certainly_new(&self, client_id: &str) -> bool {
        sequenced(client_id)
            .is_some_and(|(prefix, n)| self.highest.get(prefix).is_none_or(|&h| n > h))
    }

    /// The stored order `client_id` if it is open; `None` when it is closed or unknown.
    pub(super) fn open(&self, client_id: &str) -> Option<&Order> {
        self.open.get(client_id)
    }

    /// Takes note of an order as now stored: kept while open, dropped once closed.
    pub(super) fn stored(&mut self, order: &Order) {
        let client_id = order.client_id().as_str();
        self.note_stored_id(client_id);
        if order.status.is_terminal() {
            self.open.remove(client_id);
        } else {
            self.open.insert(client_id.to_owned(), order.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_canonical_sequenced_ids_are_parsed() {
        assert_eq!(sequenced("bot-12"), Some(("bot", 12)));
        assert_eq!(sequenced("my-bot-0"), Some(("my-bot", 0)));
        assert_eq!(sequenced("bot-012"), None, "a leading zero is another id");
        assert_eq!(sequenced("bot-"), None);
        assert_eq!(sequenced("bot"), None);
        assert_eq!(sequenced("bot-1a"), None);
        assert_eq!(sequenced("bot-99999999999999999999"), None, "beyond u64");
    }

    #[test]
    fn an_id_is_certainly_new_only_above_its_prefix_highest_stored_sequence() {
        let mut index = OrderIndex::default();
        assert!(index.certainly_new("a-1"));
        assert!(!index.certainly_new("manual"), "not sequenced: look it up");
        index.note_stored_id("a-5");
        index.note_stored_id("a-3");
        assert!(!index.certainly_new("a-5"));
        assert!(
            !index.certainly_new("a-4"),
            "below the highest: may be stored"
        );
        assert!(index.certainly_new("a-6"));
        assert!(index.certainly_new("b-1"), "another prefix");
        assert!(!index.certainly_new("a-06"), "not canonical: look it up");
    }
}
