//! The journal shared by the runner's tasks: one thread owns the `DuckDB` connection and
//! carries out the tasks' work one after the other (the file takes one writer; its calls
//! block, so they stay off the tokio workers).
//!
//! **Group commit**: the bots' writes ([`JournalHandle::write`]) that are waiting together
//! go into one transaction. A commit costs far more than the rows in it (milliseconds
//! against tens of microseconds, BENCHMARKS.md), so a hundred bots finishing a bar time at
//! once pay for one commit instead of a hundred. Each write still gets its own answer
//! only once the transaction holding it has committed; if the group fails, every write in
//! it is tried again in a transaction of its own, so one bot's failure is not another's.
//!
//! **Gathered writes** ([`Commit::Gathered`], a bot's bookkeeping at the end of a bar time)
//! wait until no other write has come for [`QUIET`] (at most [`GATHER_LIMIT`]) before
//! their transaction starts: the bar times of many bots arrive in one burst, and when the
//! journal's work (`DuckDB` and the commit's disk sync) started in the middle of that
//! burst, the decisions still to be made stalled (milliseconds with no runner thread making
//! progress, right after the journal thread woke: BENCHMARKS.md, session 11; on that VM
//! the host also takes the vCPUs for milliseconds at a time, session 12). A write that
//! must be on disk before
//! something else happens (an order's intent) is [`Commit::Now`] and ends the wait: its
//! transaction starts at the latest one [`QUIET`] sleep after it arrives.
//!
//! **Below the decisions** (Linux): the journal thread runs at niceness
//! [`JOURNAL_NICENESS`], so when it wants a core at the same time as the tokio workers,
//! the workers' decisions come first. A group's transaction takes 5–25 ms of a core at 100
//! bots. On the benchmark's 2-vCPU VM, with the host taking 27–44 % of the vCPU time, the
//! decision latency's p99 was 48–813 ms at niceness 0 and 5.8–16 ms at 10 (BENCHMARKS.md,
//! session 12).

use std::sync::mpsc as std_mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use super::RunnerError;
use crate::journal::{Batch, Journal, JournalError};

/// Most writes committed together.
const GROUP_LIMIT: usize = 512;

/// How long the inbox must stay without a new write before gathered writes are committed.
pub const QUIET: Duration = Duration::from_micros(500);

/// The longest gathered writes wait for their transaction.
pub const GATHER_LIMIT: Duration = Duration::from_millis(20);

/// The journal thread's niceness (Linux): above the workers' 0, so it yields them a core.
pub const JOURNAL_NICENESS: i32 = 10;

/// How soon a write must be committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Commit {
    /// At once: something waits to happen until it is on disk (an order's intent before
    /// the order is sent, an operator's instruction before it is answered).
    Now,
    /// Once the writes arriving together have all come (see the module's documentation).
    Gathered,
}

/// Work for the journal thread.
enum Job {
    /// Anything on the journal, on its own.
    Call(Box<dyn FnOnce(&mut Journal) + Send>),
    /// Writes that may share a transaction with other writes.
    Write(Box<dyn GroupWrite>, Commit),
    /// Close the journal.
    Close,
}

/// A write that can share a transaction (and be run again on its own if that fails).
trait GroupWrite: Send {
    /// Makes the writes in `batch`.
    fn write(&mut self, batch: &mut Batch<'_>) -> Result<(), JournalError>;
    /// Answers the caller once the transaction is over.
    fn finish(self: Box<Self>, outcome: Result<(), JournalError>);
}

struct WriteJob<T, F> {
    work: F,
    value: Option<T>,
    reply: oneshot::Sender<Result<T, JournalError>>,
}

impl<T, F> GroupWrite for WriteJob<T, F>
where
    T: Send,
    F: FnMut(&mut Batch<'_>) -> Result<T, JournalError> + Send,
{
    fn write(&mut self, batch: &mut Batch<'_>) -> Result<(), JournalError> {
        self.value = Some((self.work)(batch)?);
        Ok(())
    }

    fn finish(self: Box<Self>, outcome: Result<(), JournalError>) {
        let Self { value, reply, .. } = *self;
        let answer = match (outcome, value) {
            (Ok(()), Some(value)) => Ok(value),
            (Err(e), _) => Err(e),
            (Ok(()), None) => return, // not reached: a committed write has its value
        };
        let _ = reply.send(answer);
    }
}

/// Collects `first` and the writes waiting behind it (for a gathered write, also those
/// arriving until the inbox has been quiet for [`QUIET`]); what is not a write comes back
/// to be run after the group.
fn gather(
    first: Box<dyn GroupWrite>,
    commit: Commit,
    inbox: &std_mpsc::Receiver<Job>,
) -> (Vec<Box<dyn GroupWrite>>, Option<Job>) {
    let mut group = vec![first];
    let mut urgent = commit == Commit::Now;
    let deadline = Instant::now() + GATHER_LIMIT;
    let mut slept = false;
    loop {
        let before = group.len();
        while group.len() < GROUP_LIMIT {
            match inbox.try_recv() {
                Ok(Job::Write(write, commit)) => {
                    urgent |= commit == Commit::Now;
                    group.push(write);
                }
                Ok(other) => return (group, Some(other)),
                Err(_) => break,
            }
        }
        let quiet = slept && group.len() == before;
        if urgent || quiet || group.len() >= GROUP_LIMIT || Instant::now() >= deadline {
            return (group, None);
        }
        // Sleeping (not waiting on the channel) keeps the senders from waking this thread
        // once per write.
        std::thread::sleep(QUIET);
        slept = true;
    }
}

/// Runs `group` in one transaction; each write is answered once it is over.
fn run_group(journal: &mut Journal, mut group: Vec<Box<dyn GroupWrite>>) {
    let together = journal.batch(|batch| {
        for write in &mut group {
            write.write(batch)?;
        }
        Ok(())
    });
    match together {
        Ok(()) => group.into_iter().for_each(|write| write.finish(Ok(()))),
        Err(e) if group.len() == 1 => {
            if let Some(write) = group.pop() {
                write.finish(Err(e));
            }
        }
        Err(_) => {
            for mut write in group {
                let alone = journal.batch(|batch| write.write(batch));
                write.finish(alone);
            }
        }
    }
}

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

/// Gives the calling thread [`JOURNAL_NICENESS`] (on Linux niceness is per thread). A
/// failure only costs latency, so it is logged and the journal runs on.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::process::setpriority_process(None, JOURNAL_NICENESS) {
        tracing::warn!(error = %e, "could not lower the journal thread's priority");
    }
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
                lower_priority();
                let mut journal = journal;
                let mut next = inbox.recv().ok();
                while let Some(job) = next.take() {
                    match job {
                        Job::Call(work) => work(&mut journal),
                        Job::Write(write, commit) => {
                            let (group, after) = gather(write, commit, &inbox);
                            run_group(&mut journal, group);
                            next = after;
                        }
                        Job::Close => break,
                    }
                    if next.is_none() {
                        next = inbox.recv().ok();
                    }
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
        let _ = self.jobs.send(Job::Close);
    }

    /// Makes `work`'s writes in a transaction it may share with other writes waiting at
    /// the same time (group commit), as soon as `commit` asks, and returns its answer once
    /// that has committed. `work` may run twice (again on its own when the shared
    /// transaction fails); only the run that commits counts.
    ///
    /// # Errors
    /// `work`'s error or the commit's, or the journal thread has stopped.
    pub async fn write<T: Send + 'static>(
        &self,
        commit: Commit,
        work: impl FnMut(&mut Batch<'_>) -> Result<T, JournalError> + Send + 'static,
    ) -> Result<T, RunnerError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job::Write(
                Box::new(WriteJob {
                    work,
                    value: None,
                    reply,
                }),
                commit,
            ))
            .map_err(|_| RunnerError::Io("the journal thread has stopped".to_owned()))?;
        answer
            .await
            .map_err(|_| RunnerError::Io("the journal thread has stopped".to_owned()))?
            .map_err(RunnerError::Journal)
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
            .send(Job::Call(Box::new(move |journal| {
                let _ = reply.send(work(journal));
            })))
            .map_err(|_| RunnerError::Io("the journal thread has stopped".to_owned()))?;
        answer
            .await
            .map_err(|_| RunnerError::Io("the journal thread has stopped".to_owned()))?
            .map_err(RunnerError::Journal)
    }
}

#[cfg(test)]
mod tests {
    use vela_core::engine::{BotId, Event};
    use vela_core::types::Timestamp;

    use super::*;
    use crate::journal::BotRecord;

    fn timer(bot: &str, ts: i64) -> impl FnMut(&mut Batch<'_>) -> Result<u64, JournalError> {
        let bot = BotId::new(bot).expect("bot id");
        move |batch| {
            batch
                .record_event(&bot, &Event::Timer { ts: Timestamp(ts) })
                .map(|recorded| recorded.seq)
        }
    }

    /// A gathered write is committed on its own once nothing else comes, and an urgent
    /// write arriving while writes are being gathered is committed with them, in order.
    #[tokio::test]
    async fn gathered_writes_are_committed_alone_or_with_the_next_urgent_one() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("journal.duckdb");
        let mut journal = Journal::open(&path).expect("journal");
        journal
            .add_bot(&BotRecord::bare(BotId::new("a").expect("id")))
            .expect("bot");
        let (thread, handle) = JournalThread::start(journal).expect("thread");
        let limit = Duration::from_secs(10);
        let alone = tokio::time::timeout(limit, handle.write(Commit::Gathered, timer("a", 1)))
            .await
            .expect("a lone gathered write is committed")
            .expect("written");
        let gathered = {
            let writer = handle.clone();
            tokio::spawn(async move { writer.write(Commit::Gathered, timer("a", 2)).await })
        };
        // The spawned write is queued first (this test's runtime has one thread).
        tokio::task::yield_now().await;
        let urgent = tokio::time::timeout(limit, handle.write(Commit::Now, timer("a", 3)))
            .await
            .expect("an urgent write is committed")
            .expect("written");
        let gathered = tokio::time::timeout(limit, gathered)
            .await
            .expect("committed")
            .expect("task")
            .expect("written");
        assert_eq!((alone, gathered, urgent), (alone, alone + 1, alone + 2));
        handle.close();
        drop(handle);
        thread.join();
    }

    /// Writes queued together share a transaction; one that fails is answered with its
    /// own error, and the others still commit, in the order they were queued.
    #[tokio::test]
    async fn writes_waiting_together_commit_together_and_a_failure_stays_its_own() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("journal.duckdb");
        let mut journal = Journal::open(&path).expect("journal");
        for id in ["a", "b"] {
            journal
                .add_bot(&BotRecord::bare(BotId::new(id).expect("id")))
                .expect("bot");
        }
        let (thread, handle) = JournalThread::start(journal).expect("thread");
        // Hold the thread so the writes below queue up behind it.
        let (release, held) = std_mpsc::channel::<()>();
        let holder = handle.clone();
        let holding = tokio::spawn(async move {
            holder
                .call(move |_| {
                    let _ = held.recv();
                    Ok(())
                })
                .await
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let mut writes = Vec::new();
        for (bot, ts) in [("a", 1), ("ghost", 2), ("b", 3), ("a", 4)] {
            let writer = handle.clone();
            writes.push(tokio::spawn(async move {
                writer.write(Commit::Now, timer(bot, ts)).await
            }));
            // In this order on the queue.
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        release.send(()).expect("release");
        holding.await.expect("task").expect("held call");
        let mut answers = Vec::new();
        for write in writes {
            answers.push(write.await.expect("task"));
        }
        let seqs: Vec<Option<u64>> = answers.iter().map(|a| a.as_ref().ok().copied()).collect();
        let first = seqs[0].expect("a's first write committed");
        assert_eq!(
            seqs,
            vec![Some(first), None, Some(first + 1), Some(first + 2)]
        );
        let error = answers[1].as_ref().expect_err("unknown bot").to_string();
        assert!(error.contains("ghost"), "{error}");
        handle.close();
        drop(handle);
        thread.join();
        let journal = Journal::open(&path).expect("reopened: the log's chain holds");
        let timers = journal.entries(first, None).expect("entries");
        assert_eq!(timers.len(), 3);
    }
}
