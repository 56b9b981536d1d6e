//! The journal's tables. Exact numbers (prices, quantities, fees, P&L) are stored as their
//! decimal text, never as floating point; whole records as JSON of the vela-core types.

/// The schema version this build writes and reads.
pub(super) const VERSION: i64 = 1;

/// Creates the tables of version 1 (idempotent).
pub(super) const CREATE: &str = "
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
-- The append-only log: every entry of every table below first appears here, in order.
-- digest = sha256(previous digest, seq, bot, kind, payload): a broken or reordered record
-- breaks the chain.
CREATE TABLE IF NOT EXISTS events (
    seq BIGINT PRIMARY KEY,
    bot TEXT,
    ts BIGINT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    digest TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS bots (
    bot TEXT PRIMARY KEY,
    mode TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT NOT NULL,
    config TEXT NOT NULL,
    created BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    updated_seq BIGINT NOT NULL
);
-- One row per order, written (as an intent) before the order is sent.
CREATE TABLE IF NOT EXISTS orders (
    client_id TEXT PRIMARY KEY,
    bot TEXT NOT NULL,
    symbol TEXT NOT NULL,
    status TEXT NOT NULL,
    exchange_id TEXT,
    record TEXT NOT NULL,
    intent_seq BIGINT NOT NULL,
    updated_seq BIGINT NOT NULL
);
-- One row per exchange trade: the de-duplication key is (symbol, trade_id).
CREATE TABLE IF NOT EXISTS fills (
    symbol TEXT NOT NULL,
    trade_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    bot TEXT NOT NULL,
    side TEXT NOT NULL,
    price TEXT NOT NULL,
    quantity TEXT NOT NULL,
    fee TEXT NOT NULL,
    fee_asset TEXT NOT NULL,
    is_maker BOOLEAN NOT NULL,
    ts BIGINT NOT NULL,
    applied BOOLEAN NOT NULL,
    record TEXT NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (symbol, trade_id)
);
CREATE TABLE IF NOT EXISTS alerts (
    seq BIGINT PRIMARY KEY,
    bot TEXT,
    ts BIGINT NOT NULL,
    level TEXT NOT NULL,
    code TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rotations (
    seq BIGINT PRIMARY KEY,
    bot TEXT NOT NULL,
    ts BIGINT NOT NULL,
    from_strategy TEXT NOT NULL,
    to_strategy TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS positions (
    bot TEXT NOT NULL,
    symbol TEXT NOT NULL,
    quantity TEXT NOT NULL,
    average_price TEXT NOT NULL,
    ts BIGINT NOT NULL,
    updated_seq BIGINT NOT NULL,
    PRIMARY KEY (bot, symbol)
);
CREATE TABLE IF NOT EXISTS pnl (
    seq BIGINT PRIMARY KEY,
    bot TEXT NOT NULL,
    ts BIGINT NOT NULL,
    equity TEXT NOT NULL,
    realized TEXT NOT NULL,
    unrealized TEXT NOT NULL,
    fees TEXT NOT NULL
);
";
