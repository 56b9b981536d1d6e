//! Property tests of the engine (being written).
