//! Reading the journal back: the log, the bots, orders, fills, alerts and P&L.

use std::path::Path;

use duckdb::{Connection, OptionalExt, params};
use serde::de::DeserializeOwned;
use vela_core::engine::{BotId, BotState};
use vela_core::types::{Fill, Order, OrderStatus, Timestamp};

use super::records::{BotMode, BotRecord, LogEntry, PnlSnapshot, Seq};
use super::write::from_name;
use super::{Journal, JournalError};

impl Journal {
    /// Visits the log from `from` on (inclusive), in order, with the stored digests, one
    /// entry at a time (a long log is never held in memory whole).
    pub(super) fn scan_entries(
        &self,
        from: Seq,
        mut visit: impl FnMut(LogEntry, String) -> Result<(), JournalError>,
    ) -> Result<(), JournalError> {
        let mut statement = self
            .conn
            .prepare(
                "SELECT seq, bot, ts, kind, payload, digest FROM events WHERE seq >= ? ORDER BY seq",
            )
            .map_err(self.db_error("reading the log"))?;
        let from = i64::try_from(from).unwrap_or(i64::MAX);
        let rows = statement
            .query_map(params![from], |row| {
                let seq: i64 = row.get(0)?;
                Ok((
                    LogEntry {
                        seq: u64::try_from(seq).unwrap_or(0),
                        bot: row.get(1)?,
                        ts: row.get(2)?,
                        kind: row.get(3)?,
                        payload: row.get(4)?,
                    },
                    row.get::<_, String>(5)?,
                ))
            })
            .map_err(self.db_error("reading the log"))?;
        for row in rows {
            let (entry, digest) = row.map_err(self.db_error("reading the log"))?;
            visit(entry, digest)?;
        }
        Ok(())
    }

    /// The log from `from` on (inclusive), in order; only `bot`'s entries when given.
    ///
    /// # Errors
    /// The read failed.
    pub fn entries(&self, from: Seq, bot: Option<&BotId>) -> Result<Vec<LogEntry>, JournalError> {
        let mut entries = Vec::new();
        self.scan_entries(from, |entry, _| {
            if bot.is_none_or(|b| entry.bot.as_deref() == Some(b.as_str())) {
                entries.push(entry);
            }
            Ok(())
        })?;
        Ok(entries)
    }

    /// Every bot, by id.
    ///
    /// # Errors
    /// The read failed or a stored value is unreadable.
    pub fn bots(&self) -> Result<Vec<BotRecord>, JournalError> {
        let mut statement = self
            .conn
            .prepare(
                "SELECT bot, mode, state, reason, config, created, updated FROM bots ORDER BY bot",
            )
            .map_err(self.db_error("reading the bots"))?;
        let rows = statement
            .query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, String>(4)?,
                    row.get::<_, i64>(5)?,
                    row.get::<_, i64>(6)?,
                ))
            })
            .map_err(self.db_error("reading the bots"))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(self.db_error("reading the bots"))?;
        rows.into_iter()
            .map(|(id, mode, state, reason, config, created, updated)| {
                let unreadable = |what: String| self.corrupt(format!("bot {id}: {what}"));
                Ok(BotRecord {
                    id: BotId::new(id.clone()).map_err(|e| unreadable(e.to_string()))?,
                    mode: mode.parse::<BotMode>().map_err(unreadable)?,
                    state: from_name::<BotState>(&state)
                        .map_err(|_| unreadable(format!("unknown state {state:?}")))?,
                    reason,
                    config,
                    created: Timestamp(created),
                    updated: Timestamp(updated),
                })
            })
            .collect()
    }

    /// One bot.
    ///
    /// # Errors
    /// The read failed.
    pub fn bot(&self, id: &BotId) -> Result<Option<BotRecord>, JournalError> {
        Ok(self.bots()?.into_iter().find(|b| b.id == *id))
    }

    /// Every order of `bot`, in the order their intents were written.
    ///
    /// # Errors
    /// The read failed or a stored order is unreadable.
    pub fn orders(&self, bot: &BotId) -> Result<Vec<Order>, JournalError> {
        self.records(
            "SELECT record FROM orders WHERE bot = ? ORDER BY intent_seq",
            bot,
            "orders",
        )
    }

    /// The orders of `bot` that are not finished (intended, sent, unknown, open).
    ///
    /// # Errors
    /// The read failed or a stored order is unreadable.
    pub fn open_orders(&self, bot: &BotId) -> Result<Vec<Order>, JournalError> {
        Ok(self
            .orders(bot)?
            .into_iter()
            .filter(|o| o.status.is_open())
            .collect())
    }

    /// One order by client order id.
    ///
    /// # Errors
    /// The read failed or the stored order is unreadable.
    pub fn order(&self, client_id: &str) -> Result<Option<Order>, JournalError> {
        read_order(&self.conn, &self.path, "reading an order", client_id)
    }

    /// The index of stored orders (every open order, the highest sequence per client id
    /// prefix) that the journal keeps in memory while open.
    pub(super) fn order_index(&self) -> Result<super::OrderIndex, JournalError> {
        let action = "reading the orders";
        let mut statement = self
            .conn
            .prepare("SELECT client_id, status, record FROM orders")
            .map_err(self.db_error(action))?;
        let rows = statement
            .query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                ))
            })
            .map_err(self.db_error(action))?;
        let mut index = super::OrderIndex::default();
        for row in rows {
            let (client_id, status, record) = row.map_err(self.db_error(action))?;
            let status: OrderStatus = from_name(&status)
                .map_err(|e| self.corrupt(format!("order {client_id}: status {status:?}: {e}")))?;
            if status.is_terminal() {
                index.note_stored_id(&client_id);
                continue;
            }
            let order: Order =
                serde_json::from_str(&record).map_err(|source| JournalError::Encoding {
                    path: self.path.clone(),
                    what: format!("order {client_id}"),
                    source,
                })?;
            if order.client_id().as_str() != client_id {
                return Err(self.corrupt(format!(
                    "the order stored under {client_id} is {}",
                    order.client_id()
                )));
            }
            index.stored(&order);
        }
        Ok(index)
    }

    /// The fills of `bot` (applied or not), in arrival order.
    ///
    /// # Errors
    /// The read failed or a stored fill is unreadable.
    pub fn fills(&self, bot: &BotId) -> Result<Vec<Fill>, JournalError> {
        self.records(
            "SELECT record FROM fills WHERE bot = ? ORDER BY seq",
            bot,
            "fills",
        )
    }

    /// The P&L snapshots of `bot`, oldest first.
    ///
    /// # Errors
    /// The read failed or a stored snapshot is unreadable.
    pub fn pnl(&self, bot: &BotId) -> Result<Vec<PnlSnapshot>, JournalError> {
        self.records(
            "SELECT payload FROM events WHERE bot = ? AND kind = 'pnl' ORDER BY seq",
            bot,
            "P&L snapshots",
        )
    }

    fn records<T: DeserializeOwned>(
        &self,
        sql: &str,
        bot: &BotId,
        what: &'static str,
    ) -> Result<Vec<T>, JournalError> {
        let mut statement = self.conn.prepare(sql).map_err(self.db_error("reading"))?;
        let texts = statement
            .query_map(params![bot.as_str()], |row| row.get::<_, String>(0))
            .map_err(self.db_error("reading"))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(self.db_error("reading"))?;
        texts
            .iter()
            .map(|text| self.decode(text, &format!("{what} of bot {bot}")))
            .collect()
    }

    fn decode<T: DeserializeOwned>(&self, text: &str, what: &str) -> Result<T, JournalError> {
        serde_json::from_str(text).map_err(|source| JournalError::Encoding {
            path: self.path.clone(),
            what: what.to_owned(),
            source,
        })
    }
}

/// The order stored under `client_id`, read through `conn` (the journal's connection or an
/// open transaction's).
pub(super) fn read_order(
    conn: &Connection,
    path: &Path,
    action: &'static str,
    client_id: &str,
) -> Result<Option<Order>, JournalError> {
    let record: Option<String> = conn
        .prepare_cached("SELECT record FROM orders WHERE client_id = ?")
        .and_then(|mut select| {
            select
                .query_row(params![client_id], |row| row.get(0))
                .optional()
        })
        .map_err(|source| JournalError::Database {
            path: path.to_path_buf(),
            action,
            source,
        })?;
    record
        .map(|text| {
            serde_json::from_str(&text).map_err(|source| JournalError::Encoding {
                path: path.to_path_buf(),
                what: format!("order {client_id}"),
                source,
            })
        })
        .transpose()
}
