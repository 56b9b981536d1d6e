//! A bot's fiscal log: every fill as it happens, one CSV line each, synced to disk.

use super::RunnerError;
use crate::journal::BotMode;

/// [`append`] of `fills` on tokio's blocking pool: the caller still waits until the lines
/// are on disk, but the file's sync does not hold one of the few worker threads every
/// other bot's decisions run on (a sync takes milliseconds, at times far more).
pub(super) async fn append_off_workers(
    path: std::path::PathBuf,
    mode: BotMode,
    fills: Vec<vela_core::types::Fill>,
) -> Result<(), RunnerError> {
    let shown = path.display().to_string();
    tokio::task::spawn_blocking(move || append(&path, mode, &fills))
        .await
        .map_err(|e| {
            RunnerError::Io(format!("fiscal log {shown}: the write did not finish: {e}"))
        })?
}

/// Appends fills to a fiscal log (CSV, header first when the file is new), one sync for
/// them all.
pub(super) fn append(
    path: &std::path::Path,
    mode: BotMode,
    fills: &[vela_core::types::Fill],
) -> Result<(), RunnerError> {
    use std::io::Write;
    let failed = |e: std::io::Error| RunnerError::Io(format!("fiscal log {}: {e}", path.display()));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(failed)?;
    }
    let new = !path.exists();
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(failed)?;
    let mut text = String::new();
    if new {
        text.push_str("time_ms,mode,symbol,side,quantity,price,fee,fee_asset,maker,client_order_id,trade_id\n");
    }
    for fill in fills {
        text.push_str(&format!(
            "{},{},{},{:?},{},{},{},{},{},{},{}\n",
            fill.ts.0,
            mode,
            fill.symbol,
            fill.side,
            fill.quantity.normalize(),
            fill.price.normalize(),
            fill.fee.normalize(),
            fill.fee_asset,
            fill.is_maker,
            fill.client_id,
            crate::reports::tax::csv_field(&fill.trade_id)
        ));
    }
    file.write_all(text.as_bytes()).map_err(failed)?;
    file.sync_data().map_err(failed)
}
