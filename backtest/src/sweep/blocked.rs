//! The crossover's sweep in cache-sized blocks of bars: every combination of a group
//! advances over one block of bars before any moves to the next, so the block's shared
//! averages, opens, closes and times are read from memory once per group instead of once
//! per combination (190 pairs over 1M bars would otherwise stream about 4.5 GB).
//!
//! Each combination keeps its own simulation ([`Pass`]) and its own place in the
//! crossover's signal pass ([`CrossState`]) between blocks; the signals of a block are
//! written as bits into a buffer the size of a block. The blocks give the very numbers of one
//! whole-column run (the signal pass and the simulator carry every state across pieces;
//! tested against `Registry::signals` + `Simulator::run` in `tests.rs`).

use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;
use vela_core::strategy::crossover::{CrossState, cross_signal_bits_piece};

use super::error::SweepError;
use super::run::Row;
use crate::vector::{Market, Pass, Simulator, VectorError, VectorRun};

/// Bars per block: 20 shared averages of a block (8 KiB each) plus its times, opens and
/// closes stay in a core's L2 cache.
const BLOCK: usize = 1024;

/// One combination: its index in the plan, its fast and its slow average column.
pub(crate) struct Pair<'c> {
    pub(crate) combination: usize,
    pub(crate) fast: &'c [f64],
    pub(crate) slow: &'c [f64],
}

/// The rows of `pairs` (in their order) on dataset `dataset` (`name`), the pairs split
/// into groups run in parallel on the current rayon pool. `progress` gets 1 per finished
/// combination (a group's combinations finish together, at the group's last block).
pub(crate) fn crossover_rows(
    sim: &Simulator,
    market: &Market<'_>,
    pairs: &[Pair<'_>],
    dataset: usize,
    name: &str,
    progress: &(dyn Fn(u64) + Sync),
    cancel: &AtomicBool,
) -> Result<Vec<Row>, SweepError> {
    let n = market.len();
    for pair in pairs {
        for (column, len) in [
            ("fast average", pair.fast.len()),
            ("slow average", pair.slow.len()),
        ] {
            if len != n {
                return Err(SweepError::Data {
                    name: name.to_owned(),
                    source: VectorError::Length {
                        column,
                        len,
                        bars: n,
                    },
                });
            }
        }
    }
    if pairs.is_empty() {
        return Ok(Vec::new());
    }
    // Two groups per thread: few passes over the columns, and room to balance the load.
    let groups = (rayon::current_num_threads() * 2).clamp(1, pairs.len());
    let size = pairs.len().div_ceil(groups);
    let rows: Option<Vec<Vec<Row>>> = pairs
        .par_chunks(size)
        .map(|group| run_group(sim, market, group, dataset, progress, cancel))
        .collect();
    let rows = rows.ok_or(SweepError::Cancelled)?;
    Ok(rows.into_iter().flatten().collect())
}

fn run_group(
    sim: &Simulator,
    market: &Market<'_>,
    group: &[Pair<'_>],
    dataset: usize,
    progress: &(dyn Fn(u64) + Sync),
    cancel: &AtomicBool,
) -> Option<Vec<Row>> {
    let n = market.len();
    let mut passes: Vec<(Pass<'_>, CrossState)> = group
        .iter()
        .map(|_| {
            (
                sim.begin(market, &mut VectorRun::default()),
                CrossState::default(),
            )
        })
        .collect();
    let (mut entries, mut exits) = ([0_u64; BLOCK / 64], [0_u64; BLOCK / 64]);
    let mut start = 0;
    while start < n {
        if cancel.load(Ordering::Relaxed) {
            return None;
        }
        let end = (start + BLOCK).min(n);
        for (pair, (pass, state)) in group.iter().zip(&mut passes) {
            let (fast, slow) = (&pair.fast[start..end], &pair.slow[start..end]);
            cross_signal_bits_piece(fast, slow, state, &mut entries, &mut exits);
            sim.advance_signal_bits(market, pass, &entries, &exits, start, end - start);
        }
        start = end;
    }
    let last_close = market.bars().close[n - 1];
    let rows = group
        .iter()
        .zip(passes)
        .map(|(pair, (pass, _))| {
            let mut out = VectorRun::default();
            sim.end(market, pass, &mut out);
            progress(1);
            Row {
                dataset,
                combination: pair.combination,
                stats: out.result.stats,
                refused: out.refused.total(),
                final_equity: out.final_cash + out.final_quantity * last_close,
            }
        })
        .collect();
    Some(rows)
}
