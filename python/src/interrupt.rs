//! Long computations that Ctrl-C can stop: the work runs on its own thread without the
//! GIL while the calling thread wakes every 50 ms to let Python handle pending signals.
//! On `KeyboardInterrupt` the work is asked to stop (its cancel flag), awaited, and the
//! interrupt is raised; nothing is left running behind the caller's back.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use pyo3::prelude::*;

use crate::errors;

/// How often the waiting thread checks for signals.
const POLL: Duration = Duration::from_millis(50);

/// Python's pending signals (Ctrl-C) as an error; a named function because the method's
/// lifetime does not generalise as a closure argument.
#[allow(
    clippy::needless_pass_by_value,
    reason = "pyo3's Python token is passed by value"
)]
fn check_signals(py: Python<'_>) -> PyResult<()> {
    py.check_signals()
}

/// Runs `work(cancel)` on a worker thread; raises `KeyboardInterrupt` (after the work has
/// stopped) if Ctrl-C arrives first. `work` should return soon after `cancel` is set.
pub(crate) fn run<T, F>(py: Python<'_>, work: F) -> PyResult<T>
where
    F: FnOnce(&AtomicBool) -> PyResult<T> + Send,
    T: Send,
{
    let cancel = AtomicBool::new(false);
    py.detach(|| {
        std::thread::scope(|scope| {
            let (done_tx, done_rx) = mpsc::channel();
            let cancel = &cancel;
            scope.spawn(move || {
                let outcome = catch_unwind(AssertUnwindSafe(|| work(cancel)))
                    .unwrap_or_else(|panic| Err(errors::internal(&*panic)));
                // The receiver waits until this arrives; a send can only fail if it has
                // gone, and then nobody needs the outcome.
                let _ = done_tx.send(outcome);
            });
            let mut interrupted = None;
            loop {
                match done_rx.recv_timeout(POLL) {
                    Ok(outcome) => return interrupted.map_or(outcome, Err),
                    Err(mpsc::RecvTimeoutError::Disconnected) => {
                        return Err(errors::raise(
                            errors::Kind::Internal,
                            "internal error in vela: the worker thread ended without a result",
                        ));
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        if interrupted.is_none()
                            && let Err(signal) = Python::attach(check_signals)
                        {
                            cancel.store(true, Ordering::Relaxed);
                            interrupted = Some(signal);
                        }
                    }
                }
            }
        })
    })
}
