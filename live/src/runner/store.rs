//! The journal shared by the runner's tasks: one thread owns the `DuckDB` connection and
//! carries out the tasks' writes one after the other (the file takes one writer; its calls
//! block, so they stay off the tokio workers).

use std::sync::mpsc as std_mpsc;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use super::RunnerError;
use crate::journal::{Journal, JournalError};

/// A write to carry out; `None` closes the journal.
type Job = Option<Box<dyn FnOnce(&mut Journal) + Send>>;

/// A handle on the journal thread; clones share it.
#[derive(Debug, Clone)]
pub struct JournalHandle {
    jobs: std_mpsc::Sender<Job>,
}

/// The journal thread; dropping every handle and joining it closes the file.
#[derive(Debug)]
pub struct JournalThread {
    thread: Option<JoinHandle<()>>,
}

impl JournalThread {
    /// Moves `journal` to its own thread.
    ///
    /// # Errors
    /// The thread could not be started.
    pub fn start(journal: Journal) -> Result<(Self, JournalHandle), RunnerError> {
        let (jobs, inbox) = std_mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("vela-journal".to_owned())
            .spawn(move || {
                let mut journal = journal;
                while let Ok(Some(job)) = inbox.recv() {
                    job(&mut journal);
                }
            })
            .map_err(|e| RunnerError::Io(format!("starting the journal thread: {e}")))?;
        Ok((
            Self {
                thread: Some(thread),
            },
            JournalHandle { jobs },
        ))
    }

    /// Waits until every handle is dropped and the last write is done.
    pub fn join(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl JournalHandle {
    /// Closes the journal once the writes sent before are done; later calls fail.
    pub fn close(&self) {
        let _ = self.jobs.send(None);
    }

    /// Runs `work` on the journal and returns its answer.
    ///
    /// # Errors
    /// `work`'s error, or the journal thread has stopped.
    pub async fn call<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Journal) -> Result<T, JournalError> + Send + 'static,
    ) -> Result<T, RunnerError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Some(Box::new(move |journal| {
                let _ = reply.send(work(journal));
            })))
            .map_err(|_| RunnerError::Io("the journal thread has stopped".to_owned()))?;
        answer
            .await
            .map_err(|_| RunnerError::Io("the journal thread has stopped".to_owned()))?
            .map_err(RunnerError::Journal)
    }
}
