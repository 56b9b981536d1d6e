//! Where a run's orders come from: entry/exit signals or a target exposure, read bar by
//! bar, over a whole column or over one piece of it (a sweep hands the simulator one
//! block of bars at a time).

/// What a signal or target asks for at one bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Order {
    Enter,
    Exit,
    Target(f64),
}

/// Decides the order of bar `i` at its close.
pub(crate) trait Decide {
    fn decide(&mut self, i: usize, long: bool) -> Option<Order>;

    /// The first bar at or after `from` on which a flat account may get an order (the
    /// end of the piece if none): the bars before it are skipped in one step.
    fn next_when_flat(&self, from: usize) -> usize;

    /// The first bar at or after `from` on which an account holding a position may get
    /// an order (the end of the piece if none): the bars before it only mark the
    /// position to the close.
    fn next_when_long(&self, from: usize) -> usize;
}

/// Entry and exit signals of bars `offset ..`, one value per bar.
pub(crate) struct FromSignals<'a> {
    pub(crate) entries: &'a [bool],
    pub(crate) exits: &'a [bool],
    /// The bar of the columns' first value.
    pub(crate) offset: usize,
}

/// The first `true` at or after bar `from` of `column` (starting at bar `offset`), or
/// the bar after the column.
#[inline]
fn next_true(column: &[bool], offset: usize, from: usize) -> usize {
    let rest = &column[from - offset..];
    from + rest.iter().position(|&e| e).unwrap_or(rest.len())
}

impl Decide for FromSignals<'_> {
    #[inline]
    fn decide(&mut self, i: usize, long: bool) -> Option<Order> {
        let j = i - self.offset;
        if long {
            self.exits[j].then_some(Order::Exit)
        } else {
            self.entries[j].then_some(Order::Enter)
        }
    }

    #[inline]
    fn next_when_flat(&self, from: usize) -> usize {
        next_true(self.entries, self.offset, from)
    }

    #[inline]
    fn next_when_long(&self, from: usize) -> usize {
        next_true(self.exits, self.offset, from)
    }
}

/// A target exposure column (from bar 0).
pub(crate) struct FromExposure<'a> {
    pub(crate) targets: &'a [f64],
    pub(crate) last: f64,
}

impl Decide for FromExposure<'_> {
    #[inline]
    fn decide(&mut self, i: usize, _long: bool) -> Option<Order> {
        let target = self.targets[i];
        if target.to_bits() == self.last.to_bits() {
            None
        } else {
            self.last = target;
            Some(Order::Target(target))
        }
    }

    #[inline]
    fn next_when_flat(&self, from: usize) -> usize {
        let rest = &self.targets[from..];
        let last = self.last.to_bits();
        from + rest
            .iter()
            .position(|t| t.to_bits() != last)
            .unwrap_or(rest.len())
    }

    /// A target is applied when it changes, whether or not a position is held.
    #[inline]
    fn next_when_long(&self, from: usize) -> usize {
        self.next_when_flat(from)
    }
}

/// Entry and exit signals of bars `offset .. offset + len` as bits: bar `offset + k` is bit
/// `k % 64` of word `k / 64` (bits past `len` are 0).
pub(crate) struct FromSignalBits<'a> {
    pub(crate) entries: &'a [u64],
    pub(crate) exits: &'a [u64],
    pub(crate) offset: usize,
    pub(crate) len: usize,
}

/// Bit `j` of `words`.
#[inline]
fn bit(words: &[u64], j: usize) -> bool {
    (words[j / 64] >> (j % 64)) & 1 == 1
}

/// The first set bit at or after bar `from` of `words` (bars `offset .. offset + len`),
/// or `offset + len`.
#[inline]
fn next_set(words: &[u64], offset: usize, len: usize, from: usize) -> usize {
    let j = from - offset;
    if j >= len {
        return offset + len;
    }
    let mut w = j / 64;
    let mut word = words[w] & (u64::MAX << (j % 64));
    loop {
        if word != 0 {
            let k = w * 64 + word.trailing_zeros() as usize;
            return offset + k.min(len);
        }
        w += 1;
        if w * 64 >= len {
            return offset + len;
        }
        word = words[w];
    }
}

impl Decide for FromSignalBits<'_> {
    #[inline]
    fn decide(&mut self, i: usize, long: bool) -> Option<Order> {
        let j = i - self.offset;
        if long {
            bit(self.exits, j).then_some(Order::Exit)
        } else {
            bit(self.entries, j).then_some(Order::Enter)
        }
    }

    #[inline]
    fn next_when_flat(&self, from: usize) -> usize {
        next_set(self.entries, self.offset, self.len, from)
    }

    #[inline]
    fn next_when_long(&self, from: usize) -> usize {
        next_set(self.exits, self.offset, self.len, from)
    }
}
