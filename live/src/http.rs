//! The HTTP client behind every outgoing request of vela-live (the REST adapter, alerts):
//! rustls with the `ring` provider, vela's user agent.

use std::time::Duration;

/// A client whose requests and connections give up after `timeout` (`None`: per request).
pub fn client(timeout: Option<Duration>) -> Result<reqwest::Client, reqwest::Error> {
    // Err only means a provider is installed already, which is as good.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder =
        reqwest::Client::builder().user_agent(concat!("vela/", env!("CARGO_PKG_VERSION")));
    if let Some(timeout) = timeout {
        builder = builder.timeout(timeout).connect_timeout(timeout);
    }
    builder.build()
}
