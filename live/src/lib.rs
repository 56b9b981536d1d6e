//! vela-live: MEXC adapter, simulator and live runner. Built in their own issues; this crate only reserves its place in the workspace.
