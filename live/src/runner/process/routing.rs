//! The runner's routing of stream news: completed bars from the market streams to the bots
//! that trade them, the user stream's order news to the bot owning each order, and the
//! alerts that stream events call for.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use tokio::sync::{mpsc, watch};
use vela_core::engine::{AlertLevel, BotId};

use super::{Routes, Shared, read};
use crate::journal::BotMode;
use crate::proto::{KlineInterval, PushBody};
use crate::runner::announce::Announcer;
use crate::runner::bot::{BotInput, RunnerEvent};
use crate::runner::klines::{KlineNews, KlineTracker};
use crate::ws::StreamEvent;

/// Completed bars from the market streams to the bots that trade them.
pub(super) async fn route_market(
    mut events: mpsc::Receiver<StreamEvent>,
    routes: Arc<RwLock<Routes>>,
    acknowledged: watch::Sender<usize>,
    announce: Announcer,
) {
    let mut trackers: BTreeMap<KlineInterval, KlineTracker> = BTreeMap::new();
    while let Some(event) = events.recv().await {
        if let StreamEvent::Subscribed { .. } = event {
            acknowledged.send_modify(|n| *n += 1);
        }
        if let Some(alert) = stream_alert(&event) {
            announce.send(alert);
        }
        let StreamEvent::Data { push, received, .. } = event else {
            continue;
        };
        let (Some(symbol), PushBody::Kline(kline)) = (&push.symbol, &push.body) else {
            continue;
        };
        let news = trackers
            .entry(kline.interval)
            .or_default()
            .on_kline(symbol, kline);
        let KlineNews::Completed { bar, missed } = news else {
            continue;
        };
        if missed > 0 {
            tracing::warn!(%symbol, missed, "kline windows without any push");
        }
        let inboxes = read(&routes)
            .get(&(symbol.clone(), kline.interval))
            .cloned()
            .unwrap_or_default();
        for inbox in inboxes {
            let _ = inbox
                .send(BotInput::Bar {
                    symbol: symbol.clone(),
                    bar,
                    received,
                })
                .await;
        }
    }
}

/// The alert a stream event calls for: disconnects, refused subscriptions, stale channels.
fn stream_alert(event: &StreamEvent) -> Option<RunnerEvent> {
    let (topic, message) = match event {
        StreamEvent::Disconnected { stream, reason } => (
            "disconnect",
            format!("{stream} disconnected: {reason}; reconnecting"),
        ),
        StreamEvent::SubscriptionRefused {
            stream,
            channel,
            message,
        } => (
            "subscription",
            format!("{stream}: {channel} refused: {message}"),
        ),
        StreamEvent::Stale {
            stream,
            channel,
            silent_for,
        } => (
            "stale",
            format!("{stream}: {channel} silent for {} s", silent_for.as_secs()),
        ),
        _ => return None,
    };
    Some(RunnerEvent::alert(
        None,
        AlertLevel::Warning,
        topic,
        message,
    ))
}

/// The user stream's news to the bot owning each order (client order ids are
/// `<bot id>-<sequence>`).
pub(super) async fn route_user(mut events: mpsc::Receiver<StreamEvent>, shared: Arc<Shared>) {
    while let Some(event) = events.recv().await {
        let (client_id, input) = match event {
            StreamEvent::Data { push, .. } => match push.body {
                PushBody::PrivateOrder(update) => {
                    (update.client_id.clone(), BotInput::Order(Box::new(update)))
                }
                PushBody::PrivateDeal(deal) => {
                    (deal.client_order_id.clone(), BotInput::Deal(Box::new(deal)))
                }
                _ => continue,
            },
            StreamEvent::Subscribed { .. } => {
                shared.acknowledged.send_modify(|n| *n += 1);
                continue;
            }
            other @ (StreamEvent::Disconnected { .. }
            | StreamEvent::SubscriptionRefused { .. }
            | StreamEvent::Stale { .. }) => {
                if let Some(alert) = stream_alert(&other) {
                    shared.events.send(alert);
                }
                continue;
            }
            StreamEvent::ResyncNeeded { .. } => {
                let inboxes: Vec<_> = read(&shared.bots)
                    .values()
                    .filter(|slot| slot.spec.mode == BotMode::Live)
                    .map(|slot| slot.inbox.clone())
                    .collect();
                for inbox in inboxes {
                    let _ = inbox.send(BotInput::Resync).await;
                }
                continue;
            }
            _ => continue,
        };
        let owner = client_id
            .as_deref()
            .and_then(|id| id.rsplit_once('-'))
            .and_then(|(bot, _)| BotId::new(bot).ok());
        let inbox = owner.and_then(|bot| read(&shared.bots).get(&bot).map(|s| s.inbox.clone()));
        match inbox {
            Some(inbox) => {
                let _ = inbox.send(input).await;
            }
            None => tracing::debug!(?client_id, "user-stream news about an order of no bot here"),
        }
    }
}
