//! Settings of the WebSocket client, the capped exponential backoff between reconnects, and
//! the TLS setup for `wss://`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio_tungstenite::Connector;

use super::WsError;

/// MEXC's WebSocket URL (reference §5).
pub const MEXC_WS_URL: &str = "wss://wbs-api.mexc.com/ws";

/// Where the system's CA bundle usually lives (Debian/Ubuntu, Fedora/RHEL, Alpine/macOS).
const CA_BUNDLES: [&str; 3] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];

/// Settings of the reconnect backoff: `initial`, doubling per failed attempt, at most
/// `max`; with a seed, each delay is drawn between half and all of that (seeded, so runs
/// repeat).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackoffConfig {
    /// The first delay.
    pub initial: Duration,
    /// The largest delay.
    pub max: Duration,
    /// Seed of the jitter; `None` for no jitter.
    pub jitter_seed: Option<u64>,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(30),
            jitter_seed: None,
        }
    }
}

/// The delays between reconnect attempts.
#[derive(Debug, Clone)]
pub struct Backoff {
    config: BackoffConfig,
    rng: Option<ChaCha8Rng>,
}

impl Backoff {
    /// A backoff with `config`.
    #[must_use]
    pub fn new(config: BackoffConfig) -> Self {
        Self {
            config,
            rng: config.jitter_seed.map(ChaCha8Rng::seed_from_u64),
        }
    }

    /// The delay before attempt `attempt` (1 for the first reconnect).
    pub fn delay(&mut self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(31);
        let full = self
            .config
            .initial
            .saturating_mul(1_u32 << doublings)
            .min(self.config.max);
        match &mut self.rng {
            None => full,
            Some(rng) => {
                // Between half and all of the full delay.
                let share = 0.5 + 0.5 * unit(rng);
                full.mul_f64(share)
            }
        }
    }
}

/// A uniform draw in `[0, 1)` from the top 53 bits.
fn unit(rng: &mut ChaCha8Rng) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let top = (rng.next_u64() >> 11) as f64;
    top / (1_u64 << 53) as f64
}

/// Settings of the WebSocket client (market streams and the user data stream).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsConfig {
    /// The endpoint, e.g. [`MEXC_WS_URL`] or a simulator's `ws://127.0.0.1:PORT/ws`.
    pub url: String,
    /// How often a `PING` is sent (MEXC's demo: 20 s).
    pub ping_interval: Duration,
    /// A connection whose `PONG` is this late is dropped and reconnected.
    pub pong_timeout: Duration,
    /// A subscription not acknowledged within this long is reported as refused.
    pub ack_timeout: Duration,
    /// A market channel without data for this long is stale: reported and its connection
    /// reconnected (`None`: never). Private channels are never stale.
    pub stale_after: Option<Duration>,
    /// A connection is replaced after this long (MEXC closes them at 24 h).
    pub max_connection_age: Duration,
    /// Limit on opening a connection (TCP, TLS and the WebSocket handshake).
    pub connect_timeout: Duration,
    /// Delays between reconnects.
    pub backoff: BackoffConfig,
    /// Subscriptions per connection (MEXC: at most 30).
    pub max_subscriptions: usize,
    /// How often the watchdogs (pong, ack, staleness, age) look.
    pub check_interval: Duration,
    /// Events buffered for a slow consumer before the streams wait for it.
    pub event_capacity: usize,
    /// CA certificates (PEM) for `wss://`; `None`: the system bundle.
    pub ca_file: Option<PathBuf>,
}

impl Default for WsConfig {
    fn default() -> Self {
        Self {
            url: MEXC_WS_URL.to_owned(),
            ping_interval: Duration::from_secs(20),
            pong_timeout: Duration::from_secs(10),
            ack_timeout: Duration::from_secs(10),
            stale_after: Some(Duration::from_secs(60)),
            max_connection_age: Duration::from_secs(23 * 60 * 60 + 50 * 60),
            connect_timeout: Duration::from_secs(10),
            backoff: BackoffConfig::default(),
            max_subscriptions: 30,
            check_interval: Duration::from_millis(100),
            event_capacity: 4_096,
            ca_file: None,
        }
    }
}

impl WsConfig {
    /// Checks the settings and prepares TLS for a `wss://` URL.
    pub(crate) fn connector(&self) -> Result<Option<Connector>, WsError> {
        let bad = |reason: String| Err(WsError::Config(reason));
        if !(self.url.starts_with("ws://") || self.url.starts_with("wss://")) {
            return bad(format!("URL {:?} is neither ws:// nor wss://", self.url));
        }
        if self.url.contains('?') {
            return bad("the URL must not carry a query (the listenKey is added)".to_owned());
        }
        if self.max_subscriptions == 0 || self.event_capacity == 0 {
            return bad("max_subscriptions and event_capacity must be positive".to_owned());
        }
        let zero = [
            self.ping_interval,
            self.pong_timeout,
            self.ack_timeout,
            self.connect_timeout,
            self.check_interval,
        ];
        if zero.iter().any(Duration::is_zero) {
            return bad("intervals and timeouts must be positive".to_owned());
        }
        if self.url.starts_with("wss://") {
            Ok(Some(Connector::Rustls(Arc::new(self.tls()?))))
        } else {
            Ok(None)
        }
    }

    fn tls(&self) -> Result<rustls::ClientConfig, WsError> {
        let path = match &self.ca_file {
            Some(path) => path.clone(),
            None => CA_BUNDLES
                .iter()
                .map(PathBuf::from)
                .find(|p| p.is_file())
                .ok_or_else(|| {
                    WsError::Tls(format!(
                        "no CA bundle found (looked at {}); set ca_file",
                        CA_BUNDLES.join(", ")
                    ))
                })?,
        };
        let tls = |what: &str, e: &dyn std::fmt::Display| {
            WsError::Tls(format!("{what} {}: {e}", path.display()))
        };
        let mut roots = rustls::RootCertStore::empty();
        let certs = CertificateDer::pem_file_iter(&path).map_err(|e| tls("reading", &e))?;
        for cert in certs {
            let cert = cert.map_err(|e| tls("parsing", &e))?;
            // A certificate rustls cannot use is skipped, as browsers skip them.
            let _ = roots.add(cert);
        }
        if roots.is_empty() {
            return Err(tls("no usable certificate in", &"empty"));
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        Ok(rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| WsError::Tls(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_its_cap() {
        let mut backoff = Backoff::new(BackoffConfig::default());
        let delays: Vec<u128> = (1..=9).map(|a| backoff.delay(a).as_millis()).collect();
        assert_eq!(
            delays,
            [
                500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000
            ]
        );
        assert_eq!(backoff.delay(u32::MAX), Duration::from_secs(30));
    }

    #[test]
    fn jitter_is_seeded_and_bounded() {
        let config = BackoffConfig {
            jitter_seed: Some(9),
            ..BackoffConfig::default()
        };
        let draw = || {
            let mut b = Backoff::new(config);
            (1..=8).map(|a| b.delay(a)).collect::<Vec<_>>()
        };
        assert_eq!(draw(), draw());
        let mut plain = Backoff::new(BackoffConfig::default());
        for (attempt, delay) in (1..=8).zip(draw()) {
            let full = plain.delay(attempt);
            assert!(delay >= full / 2 && delay <= full, "{delay:?} vs {full:?}");
        }
    }

    #[test]
    fn settings_are_checked() {
        let ok = WsConfig {
            url: "ws://127.0.0.1:1/ws".to_owned(),
            ..WsConfig::default()
        };
        assert!(matches!(ok.connector(), Ok(None)));
        for bad in [
            WsConfig {
                url: "http://x".to_owned(),
                ..ok.clone()
            },
            WsConfig {
                url: "ws://x/ws?listenKey=a".to_owned(),
                ..ok.clone()
            },
            WsConfig {
                ping_interval: Duration::ZERO,
                ..ok.clone()
            },
            WsConfig {
                url: "wss://x/ws".to_owned(),
                ca_file: Some(PathBuf::from("/surely/not/here.pem")),
                ..ok.clone()
            },
        ] {
            assert!(bad.connector().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn wss_uses_the_system_bundle_when_there_is_one() {
        let config = WsConfig::default();
        if CA_BUNDLES.iter().any(|p| std::path::Path::new(p).is_file()) {
            assert!(matches!(config.connector(), Ok(Some(Connector::Rustls(_)))));
        } else {
            assert!(matches!(config.connector(), Err(WsError::Tls(_))));
        }
    }
}
