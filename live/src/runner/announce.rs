//! Where the runner's events go: every event to the API's subscribers, and alerts also to
//! the alert task.
//!
//! The alert task has its own queue, so it wakes for alerts only. When it listened on
//! the subscribers' broadcast, every bot's status at every bar time woke it: a hundred
//! wake-ups in each burst of decisions, on the same workers (callgrind: about a quarter of
//! a bot's own instructions per bar; BENCHMARKS.md, session 12).

use tokio::sync::{broadcast, mpsc};

use super::bot::RunnerEvent;
use crate::alerts::Notice;

/// How many events a slow subscriber, and how many alerts the alert task, may fall behind.
const QUEUE: usize = 4_096;

/// The sending side of the runner's events (clones send to the same places).
#[derive(Debug, Clone)]
pub struct Announcer {
    subscribers: broadcast::Sender<RunnerEvent>,
    alerts: mpsc::Sender<Box<Notice>>,
}

impl Announcer {
    /// An announcer, and the alert task's queue.
    #[must_use]
    pub fn new() -> (Self, mpsc::Receiver<Box<Notice>>) {
        let (alerts, queue) = mpsc::channel(QUEUE);
        let announcer = Self {
            subscribers: broadcast::channel(QUEUE).0,
            alerts,
        };
        (announcer, queue)
    }

    /// Sends `event` to the subscribers and, if it is an alert, to the alert task. An alert
    /// the task's full queue cannot take is logged as a warning (the subscribers still get
    /// it); once the task has ended (the runner stops), as a debug line.
    pub fn send(&self, event: RunnerEvent) {
        if let RunnerEvent::Alert { notice } = &event {
            match self.alerts.try_send(notice.clone()) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(notice)) => tracing::warn!(
                    alert = %notice.text(0),
                    "the alert task is behind; alert not sent to the channels"
                ),
                Err(mpsc::error::TrySendError::Closed(notice)) => tracing::debug!(
                    alert = %notice.text(0),
                    "the alert task has ended; alert not sent to the channels"
                ),
            }
        }
        let _ = self.subscribers.send(event);
    }

    /// Whether anyone listens to the events (building an event nobody reads is skipped).
    #[must_use]
    pub fn has_subscribers(&self) -> bool {
        self.subscribers.receiver_count() > 0
    }

    /// A new subscriber: the events from now on.
    #[must_use]
    pub fn subscribe(&self) -> broadcast::Receiver<RunnerEvent> {
        self.subscribers.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use rust_decimal::Decimal;
    use vela_core::engine::{AlertLevel, BotState};

    use super::*;
    use crate::journal::BotMode;
    use crate::runner::bot::BotStatus;

    #[test]
    fn alerts_reach_the_alert_task_and_the_subscribers_but_statuses_only_the_subscribers() {
        let (announcer, mut alerts) = Announcer::new();
        assert!(!announcer.has_subscribers());
        let mut events = announcer.subscribe();
        assert!(announcer.has_subscribers());
        announcer.send(RunnerEvent::Status {
            bot: "a".to_owned(),
            status: Box::new(BotStatus {
                state: BotState::Running,
                mode: BotMode::Paper,
                last_bar: None,
                bar_times: 1,
                bars_seen: 1,
                equity: Decimal::ZERO,
                realized: Decimal::ZERO,
                holdings: BTreeMap::new(),
                blocked: None,
            }),
        });
        announcer.send(RunnerEvent::alert(
            None,
            AlertLevel::Warning,
            "disconnect",
            "stream 1 disconnected".to_owned(),
        ));
        let notice = alerts.try_recv().expect("the alert");
        assert_eq!(notice.topic, "disconnect");
        assert!(alerts.try_recv().is_err(), "the status is not an alert");
        assert!(matches!(events.try_recv(), Ok(RunnerEvent::Status { .. })));
        assert!(matches!(events.try_recv(), Ok(RunnerEvent::Alert { .. })));
    }
}
