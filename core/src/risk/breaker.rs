//! The consecutive-loss breaker: after N losing trades in a row, rotate to another
//! configured strategy — never back to one that lost in the current streak — and pause
//! with an alert once the rotations allowed are used up or no strategy is left.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::config::LossBreaker;

/// What the breaker decided after a losing trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerAction {
    /// Switch to the strategy at this index of the candidates (0 is the configured one).
    Rotate(usize),
    /// Pause the bot: no rotation is possible or allowed.
    Pause,
}

/// Breaker memory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakerState {
    /// Candidates that tripped the breaker since the last winning trade.
    lost: BTreeSet<usize>,
    /// Rotations done since start or the last manual resume.
    rotations: u32,
}

impl BreakerState {
    /// Rotations done.
    #[must_use]
    pub fn rotations(&self) -> u32 {
        self.rotations
    }

    /// A winning trade clears the record of strategies that lost.
    pub fn on_win(&mut self) {
        self.lost.clear();
    }

    /// A manual resume restarts the rotation count.
    pub fn on_resume(&mut self) {
        self.rotations = 0;
        self.lost.clear();
    }

    /// Called when `consecutive_losses` reach the breaker's threshold while the strategy at
    /// index `active` (of `candidates` = 1 + rotation length) trades.
    pub fn trip(
        &mut self,
        breaker: &LossBreaker,
        active: usize,
        candidates: usize,
    ) -> BreakerAction {
        self.lost.insert(active);
        if breaker.rotation.is_empty() || self.rotations >= breaker.max_rotations {
            return BreakerAction::Pause;
        }
        let next = (1..candidates)
            .map(|step| (active + step) % candidates)
            .find(|i| !self.lost.contains(i));
        match next {
            Some(i) => {
                self.rotations += 1;
                BreakerAction::Rotate(i)
            }
            None => BreakerAction::Pause,
        }
    }

    /// Whether the streak count has reached the threshold.
    #[must_use]
    pub fn should_trip(breaker: &LossBreaker, consecutive_losses: u32) -> bool {
        consecutive_losses >= breaker.consecutive_losses
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::{Params, StrategySpec};

    fn breaker(rotation: usize, max_rotations: u32) -> LossBreaker {
        LossBreaker {
            consecutive_losses: 3,
            rotation: (0..rotation)
                .map(|i| StrategySpec::new(format!("s{i}"), Params::new()))
                .collect(),
            max_rotations,
        }
    }

    #[test]
    fn rotates_forward_and_never_back_to_a_loser() {
        let b = breaker(2, 10);
        let mut s = BreakerState::default();
        assert_eq!(s.trip(&b, 0, 3), BreakerAction::Rotate(1));
        assert_eq!(s.trip(&b, 1, 3), BreakerAction::Rotate(2));
        // 0 and 1 lost in this streak: nothing is left.
        assert_eq!(s.trip(&b, 2, 3), BreakerAction::Pause);
    }

    #[test]
    fn a_win_makes_earlier_losers_eligible_again() {
        let b = breaker(1, 10);
        let mut s = BreakerState::default();
        assert_eq!(s.trip(&b, 0, 2), BreakerAction::Rotate(1));
        s.on_win();
        assert_eq!(s.trip(&b, 1, 2), BreakerAction::Rotate(0));
    }

    #[test]
    fn pauses_after_the_allowed_rotations_or_without_rotation() {
        let b = breaker(3, 1);
        let mut s = BreakerState::default();
        assert_eq!(s.trip(&b, 0, 4), BreakerAction::Rotate(1));
        assert_eq!(s.trip(&b, 1, 4), BreakerAction::Pause);
        assert_eq!(
            BreakerState::default().trip(&breaker(0, 5), 0, 1),
            BreakerAction::Pause
        );
        assert!(BreakerState::should_trip(&b, 3));
        assert!(!BreakerState::should_trip(&b, 2));
    }
}
