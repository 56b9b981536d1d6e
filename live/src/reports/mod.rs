//! Reports from the runner's records (issue 8). [`tax`]: realised gains by FIFO lots, as the
//! CSV a tax return needs.

pub mod tax;
