//! Fault injection: what the simulator does wrong on purpose, switchable while it runs.
//!
//! Tests arm *counted* faults ("the next 2 REST requests answer 503") through
//! [`Faults::update`] and the simulator consumes them with the `take_*` methods, so a test
//! knows exactly which request or push is hit. `vela sim --fault …` arms the same faults
//! (see [`FaultSpec`]); the rates there are drawn from a seeded generator, so a run with
//! the same seed fails the same requests.

use std::sync::{Mutex, MutexGuard, PoisonError};

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};

/// The faults in force. Counters count down as the simulator consumes them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultState {
    /// Added delay before every REST reply and every WebSocket push, in milliseconds.
    pub latency_ms: u64,
    /// The next this many REST requests answer [`server_error_status`](Self::server_error_status)
    /// without being processed.
    pub server_errors: u32,
    /// HTTP status of an injected server error (500, 502, 503 or 504).
    pub server_error_status: u16,
    /// Share of REST requests (0..=1) answered with a server error, drawn per request.
    pub server_error_rate: f64,
    /// The next this many REST requests answer 429 with `Retry-After`.
    pub rate_limits: u32,
    /// Share of REST requests (0..=1) answered with 429.
    pub rate_limit_rate: f64,
    /// The `Retry-After` of an injected 429, in seconds.
    pub retry_after_secs: u32,
    /// The next this many order placements are **carried out** (the order is on the
    /// book) but never answered: the connection is held until the client gives up, so the
    /// client cannot know the outcome.
    pub order_timeouts: u32,
    /// Bumped to drop every open WebSocket connection now (connections remember the
    /// generation they started in).
    pub drop_generation: u64,
    /// The next this many pushes are sent twice.
    pub duplicates: u32,
    /// The next this many pushes are held back and sent after the push that follows them
    /// (out of order).
    pub reorders: u32,
    /// The next this many depth pushes are not sent at all: the client sees a version gap.
    pub depth_gaps: u32,
    /// Subscribed market streams get no data (the connection still answers pings).
    pub silent: bool,
    /// Channels whose subscription the server refuses ("Blocked"), matched by prefix.
    pub refused_channels: Vec<String>,
    /// Bumped to expire every listenKey issued so far (their streams are closed and
    /// keep-alives answer an error).
    pub listen_key_generation: u64,
}

/// A fault switched on from the command line: `name` or `name=value`.
///
/// | Spec | Effect |
/// |---|---|
/// | `latency=MS` | every reply and push delayed by MS |
/// | `5xx=RATE` | share RATE of REST requests answer 503 |
/// | `429=RATE` | share RATE of REST requests answer 429 (`retry-after=SECS`, default 1) |
/// | `retry-after=SECS` | the Retry-After of injected 429s |
/// | `order-timeout=N` | the first N orders are placed but never answered |
/// | `duplicates=N`, `reorders=N`, `depth-gaps=N` | the first N pushes affected |
/// | `silent` | subscribed streams get no data |
/// | `refuse=CHANNEL_PREFIX` | subscriptions to matching channels are refused |
#[derive(Debug, Clone, PartialEq)]
pub struct FaultSpec(FaultState);

impl FaultSpec {
    /// Parses specs such as `["latency=200", "5xx=0.05", "silent"]` into one state.
    pub fn parse<S: AsRef<str>>(specs: &[S]) -> Result<FaultState, String> {
        let mut state = FaultState {
            server_error_status: 503,
            retry_after_secs: 1,
            ..FaultState::default()
        };
        for spec in specs {
            let spec = spec.as_ref();
            let (name, value) = match spec.split_once('=') {
                Some((name, value)) => (name.trim(), Some(value.trim())),
                None => (spec.trim(), None),
            };
            let need = |what: &str| {
                value.ok_or_else(|| format!("fault `{spec}`: `{name}` needs a value ({what})"))
            };
            let count = |text: &str| {
                text.parse::<u32>()
                    .map_err(|_| format!("fault `{spec}`: `{text}` is not a whole number"))
            };
            let rate = |text: &str| match text.parse::<f64>() {
                Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
                _ => Err(format!("fault `{spec}`: `{text}` is not a share between 0 and 1")),
            };
            match name {
                "latency" => state.latency_ms = u64::from(count(need("milliseconds")?)?),
                "5xx" => state.server_error_rate = rate(need("a share, e.g. 0.05")?)?,
                "429" => state.rate_limit_rate = rate(need("a share, e.g. 0.05")?)?,
                "retry-after" => state.retry_after_secs = count(need("seconds")?)?,
                "order-timeout" => state.order_timeouts = count(need("a count")?)?,
                "duplicates" => state.duplicates = count(need("a count")?)?,
                "reorders" => state.reorders = count(need("a count")?)?,
                "depth-gaps" => state.depth_gaps = count(need("a count")?)?,
                "silent" => state.silent = true,
                "refuse" => state.refused_channels.push(need("a channel prefix")?.to_owned()),
                other => {
                    return Err(format!(
                        "fault `{spec}`: unknown fault `{other}` (known: latency, 5xx, 429, \
                         retry-after, order-timeout, duplicates, reorders, depth-gaps, silent, refuse)"
                    ));
                }
            }
        }
        Ok(state)
    }
}

/// What an injected REST fault answers instead of the real reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestFault {
    /// An HTTP server error with this status; the request was not processed.
    ServerError(u16),
    /// HTTP 429 with `Retry-After` in seconds; the request was not processed.
    RateLimited {
        /// Seconds.
        retry_after_secs: u32,
    },
}

/// The simulator's switchable faults, shared by its REST and WebSocket halves.
#[derive(Debug)]
pub struct Faults {
    state: Mutex<(FaultState, ChaCha8Rng)>,
}

impl Faults {
    /// Faults as `state` says, rates drawn from a generator seeded with `seed`.
    #[must_use]
    pub fn new(state: FaultState, seed: u64) -> Self {
        Self {
            state: Mutex::new((state, ChaCha8Rng::seed_from_u64(seed))),
        }
    }

    fn lock(&self) -> MutexGuard<'_, (FaultState, ChaCha8Rng)> {
        // A panic elsewhere while holding the lock leaves a plain value behind: keep going.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A copy of the faults in force.
    #[must_use]
    pub fn snapshot(&self) -> FaultState {
        self.lock().0.clone()
    }

    /// Changes the faults in force, e.g. `faults.update(|f| f.server_errors = 2)`.
    pub fn update(&self, change: impl FnOnce(&mut FaultState)) {
        change(&mut self.lock().0);
    }

    /// The fault (if any) for the REST request being handled; counted faults first, then
    /// the rates.
    pub fn take_rest_fault(&self) -> Option<RestFault> {
        let mut guard = self.lock();
        let (state, rng) = &mut *guard;
        if state.server_errors > 0 {
            state.server_errors -= 1;
            return Some(RestFault::ServerError(state.server_error_status));
        }
        if state.rate_limits > 0 {
            state.rate_limits -= 1;
            return Some(RestFault::RateLimited {
                retry_after_secs: state.retry_after_secs,
            });
        }
        if state.server_error_rate > 0.0 && unit(rng) < state.server_error_rate {
            return Some(RestFault::ServerError(state.server_error_status));
        }
        if state.rate_limit_rate > 0.0 && unit(rng) < state.rate_limit_rate {
            return Some(RestFault::RateLimited {
                retry_after_secs: state.retry_after_secs,
            });
        }
        None
    }

    /// Whether the order being placed should be carried out but never answered.
    pub fn take_order_timeout(&self) -> bool {
        take(&mut self.lock().0.order_timeouts)
    }

    /// Whether the push being sent should be sent twice.
    pub fn take_duplicate(&self) -> bool {
        take(&mut self.lock().0.duplicates)
    }

    /// Whether the push being sent should be held back behind the next one.
    pub fn take_reorder(&self) -> bool {
        take(&mut self.lock().0.reorders)
    }

    /// Whether the depth push being sent should be dropped (a version gap).
    pub fn take_depth_gap(&self) -> bool {
        take(&mut self.lock().0.depth_gaps)
    }

    /// The added latency in milliseconds.
    #[must_use]
    pub fn latency_ms(&self) -> u64 {
        self.lock().0.latency_ms
    }

    /// Whether market streams are silent.
    #[must_use]
    pub fn silent(&self) -> bool {
        self.lock().0.silent
    }

    /// Whether a subscription to `channel` is refused.
    #[must_use]
    pub fn refuses(&self, channel: &str) -> bool {
        self.lock()
            .0
            .refused_channels
            .iter()
            .any(|prefix| channel.starts_with(prefix.as_str()))
    }

    /// The generation a connection opened now belongs to; it is dropped once
    /// [`FaultState::drop_generation`] moves past it.
    #[must_use]
    pub fn drop_generation(&self) -> u64 {
        self.lock().0.drop_generation
    }

    /// Drops every open WebSocket connection.
    pub fn drop_connections(&self) {
        self.lock().0.drop_generation += 1;
    }

    /// The listenKey generation: keys issued before it moved are expired.
    #[must_use]
    pub fn listen_key_generation(&self) -> u64 {
        self.lock().0.listen_key_generation
    }

    /// Expires every listenKey issued so far.
    pub fn expire_listen_keys(&self) {
        self.lock().0.listen_key_generation += 1;
    }
}

fn take(counter: &mut u32) -> bool {
    if *counter > 0 {
        *counter -= 1;
        true
    } else {
        false
    }
}

/// A uniform draw in `[0, 1)` from the top 53 bits.
fn unit(rng: &mut ChaCha8Rng) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let top = (rng.next_u64() >> 11) as f64;
    top / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_faults_are_consumed_in_order() {
        let faults = Faults::new(FaultSpec::parse::<&str>(&[]).expect("empty"), 1);
        faults.update(|f| {
            f.server_errors = 1;
            f.rate_limits = 1;
            f.retry_after_secs = 3;
        });
        assert_eq!(faults.take_rest_fault(), Some(RestFault::ServerError(503)));
        assert_eq!(
            faults.take_rest_fault(),
            Some(RestFault::RateLimited { retry_after_secs: 3 })
        );
        assert_eq!(faults.take_rest_fault(), None);
    }

    #[test]
    fn specs_parse_and_bad_ones_name_the_problem() {
        let state = FaultSpec::parse(&["latency=20", "5xx=0.5", "silent", "refuse=spot@public.limit"])
            .expect("valid specs");
        assert_eq!(state.latency_ms, 20);
        assert!(state.silent);
        assert_eq!(state.refused_channels, vec!["spot@public.limit".to_owned()]);
        let err = FaultSpec::parse(&["5xx=2"]).expect_err("rate above 1");
        assert!(err.contains("5xx=2") && err.contains("between 0 and 1"), "{err}");
        let err = FaultSpec::parse(&["meteor"]).expect_err("unknown");
        assert!(err.contains("unknown fault `meteor`"), "{err}");
        let err = FaultSpec::parse(&["latency"]).expect_err("no value");
        assert!(err.contains("needs a value"), "{err}");
    }

    #[test]
    fn rates_are_seeded() {
        let draw = |seed| {
            let faults = Faults::new(
                FaultSpec::parse(&["5xx=0.3"]).expect("valid"),
                seed,
            );
            (0..64).map(|_| faults.take_rest_fault().is_some()).collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        let hits = draw(7).iter().filter(|&&hit| hit).count();
        assert!((5..=35).contains(&hits), "{hits} of 64 at 0.3");
    }
}
