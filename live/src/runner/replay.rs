//! `vela replay`'s exact half: a bot's journal run back through a fresh engine — every
//! recorded event in its order — checking that the engine makes every recorded decision
//! again (each order intent and each other command, in order) and nothing else.
//!
//! Possible only because the engine is deterministic (DESIGN.md §4): the same events give
//! the same commands, client order ids included. A difference means the journal and the
//! configuration do not belong together, or the engine changed since the journal was
//! written.

use serde::Deserialize;
use serde_json::Value;
use vela_core::engine::{Command, Engine, Event};
use vela_core::strategy::Registry;
use vela_core::types::{Bar, OrderRequest, Symbol};

use super::RunnerError;
use super::spec::BotSpec;
use crate::journal::LogEntry;

/// What an exact replay found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReplayReport {
    /// Events the engine handled again.
    pub events: usize,
    /// Commands it made (orders, cancels, alerts, state changes, ...).
    pub commands: usize,
    /// Orders among them.
    pub orders: usize,
    /// The bars the bot saw, per symbol in time order (the input of a simulated replay).
    pub bars: Vec<(Symbol, Vec<Bar>)>,
    /// Every difference between the recorded decisions and the replayed ones (empty: the
    /// decisions are reproduced exactly).
    pub differences: Vec<String>,
}

#[derive(Deserialize)]
struct IntentEntry {
    request: OrderRequest,
}

/// Runs `entries` (one bot's journal entries, in order) through a fresh engine built from
/// `spec`.
///
/// # Errors
/// The engine cannot be built, or an entry cannot be read.
pub fn replay_exact(
    spec: &BotSpec,
    registry: &Registry,
    entries: &[LogEntry],
) -> Result<ReplayReport, RunnerError> {
    let bot = spec.bot.bot_id.to_string();
    let mut engine = Engine::new(spec.bot.clone(), registry).map_err(|e| RunnerError::Bot {
        bot: bot.clone(),
        reason: e.to_string(),
    })?;
    let read = |entry: &LogEntry| -> Result<Value, RunnerError> {
        serde_json::from_str(&entry.payload).map_err(|e| RunnerError::Restore {
            bot: bot.clone(),
            reason: format!("log entry {}: {e}", entry.seq),
        })
    };
    let mut report = ReplayReport::default();
    // The commands the last event made, not yet matched with recorded ones.
    let mut expected: Vec<Command> = Vec::new();
    let mut at_event = 0_u64;
    for entry in entries {
        match entry.kind.as_str() {
            "event" => {
                unmatched(&mut report, &expected, at_event);
                let event: Event =
                    serde_json::from_value(read(entry)?).map_err(|e| RunnerError::Restore {
                        bot: bot.clone(),
                        reason: format!("log entry {}: {e}", entry.seq),
                    })?;
                if let Event::Market(vela_core::types::MarketData::Bar { symbol, bar }) = &event {
                    match report.bars.iter_mut().find(|(s, _)| s == symbol) {
                        Some((_, bars)) => bars.push(*bar),
                        None => report.bars.push((symbol.clone(), vec![*bar])),
                    }
                }
                at_event = entry.seq;
                report.events += 1;
                match engine.on_event(&event) {
                    Ok(commands) => {
                        report.commands += commands.len();
                        report.orders += commands
                            .iter()
                            .filter(|c| matches!(c, Command::Submit(_)))
                            .count();
                        // Matched front to back against the entries that follow.
                        expected = commands.iter().rev().cloned().collect();
                    }
                    Err(e) => {
                        report.differences.push(format!(
                            "entry {}: the engine refuses the recorded event: {e}",
                            entry.seq
                        ));
                        expected.clear();
                    }
                }
            }
            "intent" => {
                let recorded: IntentEntry =
                    serde_json::from_value(read(entry)?).map_err(|e| RunnerError::Restore {
                        bot: bot.clone(),
                        reason: format!("log entry {}: {e}", entry.seq),
                    })?;
                match expected.pop() {
                    Some(Command::Submit(request)) if request == recorded.request => {}
                    other => report.differences.push(format!(
                        "entry {}: recorded order {} ({:?} {:?}), replayed {}",
                        entry.seq,
                        recorded.request.client_id,
                        recorded.request.side,
                        recorded.request.amount,
                        describe(other.as_ref())
                    )),
                }
            }
            "command" => {
                let recorded = read(entry)?;
                match expected.pop() {
                    Some(command)
                        if serde_json::to_value(&command).ok() == Some(recorded.clone()) => {}
                    other => report.differences.push(format!(
                        "entry {}: recorded {recorded}, replayed {}",
                        entry.seq,
                        describe(other.as_ref())
                    )),
                }
            }
            _ => {}
        }
    }
    unmatched(&mut report, &expected, at_event);
    Ok(report)
}

fn unmatched(report: &mut ReplayReport, expected: &[Command], at_event: u64) {
    for command in expected.iter().rev() {
        report.differences.push(format!(
            "after entry {at_event}: the replay made {} which the journal does not have",
            describe(Some(command))
        ));
    }
}

fn describe(command: Option<&Command>) -> String {
    match command {
        None => "nothing".to_owned(),
        Some(Command::Submit(request)) => format!(
            "order {} ({:?} {:?})",
            request.client_id, request.side, request.amount
        ),
        Some(other) => serde_json::to_string(other).unwrap_or_else(|_| format!("{other:?}")),
    }
}
