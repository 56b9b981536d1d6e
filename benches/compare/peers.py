"""The Python peers' side of benches/compare: one workload per process, timed at each
peer's own idiom, over the bar file vela generated. Prints one JSON line per measurement
(the same shape as vela_side.rs) on stdout; compare.py runs it and reads the lines.

    python peers.py vectorbt-single --data bars.csv
    python peers.py vectorbt-sweep --data bars.csv --windows 10,15,20
    python peers.py backtesting --data bars.csv
    python peers.py nautilus --data bars.csv [--bars 200000]

Every workload: SMA (EMA for NautilusTrader's example) crossover, fast 10 / slow 30 by
default, 0.05 % taker fee, 1e9 USDT (see CASH), next-bar-open fills where the peer
offers them.
Data loading, JIT warm-up and data conversion are not timed; each timed step is repeated
and the median reported. README.md lists each peer's quirks.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import warnings

import numpy as np
import pandas as pd

# Starting cash of every tool (vela_side.rs uses the same default). Large on purpose: SMA
# 10/30 on one-minute bars with a 0.05 % fee loses ~100 % over 1M bars, and with 10,000
# USDT the account falls below vela's 1 USDT minimum order halfway through and stops
# trading (vectorbt, with no minimums, goes on): with 1e9 every tool trades every cross.
CASH = 1e9
FEE = 0.0005


def load(path: str, bars: int | None) -> pd.DataFrame:
    """The generated bars: ts (ms, open time), open, high, low, close, volume; indexed by
    open time as a tz-naive (UTC) DatetimeIndex. Naive on purpose: with a tz-aware index
    vectorbt 1.0's `ma_crossed_above`, `fshift` and `from_signals` take seconds instead of
    milliseconds on 1M bars (pandas' slow path for tz-aware index operations)."""
    columns = ["ts", "open", "high", "low", "close", "volume"]
    df = pd.read_csv(path, nrows=bars, usecols=columns)
    df.index = pd.to_datetime(df.pop("ts"), unit="ms")
    df.index.name = "time"
    return df


def timed(repeat: int, f):
    """Runs f once untimed (warm-up) unless repeat is negative, then |repeat| times."""
    last = None
    if repeat > 0:
        last = f()
    seconds = []
    for _ in range(abs(repeat)):
        start = time.perf_counter()
        last = f()
        seconds.append(time.perf_counter() - start)
    return seconds, last


def emit(tool: str, workload: str, seconds: list[float], **extra) -> None:
    line = {
        "tool": tool,
        "workload": workload,
        "median_s": statistics.median(seconds),
        "runs_s": seconds,
    }
    line.update(extra)
    print(json.dumps(line), flush=True)


# --- vectorbt -----------------------------------------------------------------------


def vectorbt_single(args) -> None:
    import vectorbt as vbt

    df = load(args.data, args.bars)
    close, open_ = df["close"], df["open"]

    def signals():
        fast = vbt.MA.run(close, args.fast, short_name="fast")
        slow = vbt.MA.run(close, args.slow, short_name="slow")
        return fast.ma_crossed_above(slow), fast.ma_crossed_below(slow)

    def simulate(entries, exits):
        # Next-bar-open fills: the signal decided at bar i's close executes at bar i+1's
        # open, so shift the signals one bar forward and fill at the open price.
        return vbt.Portfolio.from_signals(
            close,
            entries.vbt.fshift(1, fill_value=False),
            exits.vbt.fshift(1, fill_value=False),
            price=open_,
            fees=FEE,
            init_cash=CASH,
            freq="1min",
        )

    def pipeline():
        entries, exits = signals()
        return simulate(entries, exits)

    # Numba compiles on first use (about 12 s here): timed() runs the pipeline once
    # untimed first, so only the compiled code is measured.
    seconds, pf = timed(args.repeat or 7, pipeline)
    trades = int(pf.trades.count())
    emit(
        "vectorbt",
        "single_pipeline",
        seconds,
        bars=len(df),
        trades=trades,
        total_return=float(pf.total_return()),
        fees=float(pf.orders.records["fees"].sum()),
    )
    entries, exits = signals()
    seconds, _ = timed(args.repeat or 7, lambda: simulate(entries, exits))
    emit("vectorbt", "single_simulate", seconds, bars=len(df))


def vectorbt_sweep(args) -> None:
    import vectorbt as vbt

    df = load(args.data, args.bars)
    close, open_ = df["close"], df["open"]
    windows = sorted(set(args.windows))

    def sweep():
        fast, slow = vbt.MA.run_combs(
            close, window=windows, r=2, short_names=["fast", "slow"]
        )
        entries = fast.ma_crossed_above(slow)
        exits = fast.ma_crossed_below(slow)
        pf = vbt.Portfolio.from_signals(
            close,
            entries.vbt.fshift(1, fill_value=False),
            exits.vbt.fshift(1, fill_value=False),
            price=open_,
            fees=FEE,
            init_cash=CASH,
            freq="1min",
        )
        returns = pf.total_return()
        return len(returns), returns.idxmax(), float(returns.max())

    # Warm-up (numba compilation) with the same argument types on a short slice, so the
    # timed run is the sweep alone (a full warm-up run would double the time and memory).
    warm = df.iloc[:2000]
    fast, slow = vbt.MA.run_combs(warm["close"], window=windows[:3], r=2)
    vbt.Portfolio.from_signals(
        warm["close"],
        fast.ma_crossed_above(slow).vbt.fshift(1, fill_value=False),
        fast.ma_crossed_below(slow).vbt.fshift(1, fill_value=False),
        price=warm["open"],
        fees=FEE,
        init_cash=CASH,
        freq="1min",
    ).total_return()
    seconds, (pairs, best, best_return) = timed(-(args.repeat or 1), sweep)
    emit(
        "vectorbt",
        "sweep",
        seconds,
        bars=len(df),
        pairs=pairs,
        threads=1,
        best={"total_return": best_return, "fast": int(best[0]), "slow": int(best[1])},
    )


# --- backtesting.py -------------------------------------------------------------------


def backtesting_run(args) -> None:
    from backtesting import Strategy
    from backtesting.lib import FractionalBacktest, crossover
    from backtesting.test import SMA

    df = load(args.data, args.bars).rename(columns=str.capitalize)

    class SmaCross(Strategy):
        n1 = args.fast
        n2 = args.slow

        def init(self):
            self.sma1 = self.I(SMA, self.data.Close, self.n1)
            self.sma2 = self.I(SMA, self.data.Close, self.n2)

        def next(self):
            # Long-only, like vela's crossover: buy all-in on a cross up, close on a
            # cross down. Orders fill at the next bar's open (trade_on_close=False).
            if crossover(self.sma1, self.sma2):
                if not self.position:
                    self.buy()
            elif crossover(self.sma2, self.sma1):
                self.position.close()

    def run():
        # BTC at ~50,000 with 10,000 cash: whole units cannot be bought, so trade in
        # micro-BTC (the instrument's quantity step) with FractionalBacktest.
        bt = FractionalBacktest(
            df,
            SmaCross,
            fractional_unit=1e-6,
            cash=CASH,
            commission=FEE,
            trade_on_close=False,
            finalize_trades=True,
        )
        return bt.run()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        seconds, stats = timed(args.repeat or 3, run)
    emit(
        "backtesting.py",
        "event_replay",
        seconds,
        bars=len(df),
        trades=int(stats["# Trades"]),
        total_return=float(stats["Return [%]"]) / 100.0,
    )


# --- NautilusTrader -------------------------------------------------------------------


def nautilus_run(args) -> None:
    from decimal import Decimal

    from nautilus_trader.backtest.engine import BacktestEngine, BacktestEngineConfig
    from nautilus_trader.config import LoggingConfig
    from nautilus_trader.examples.strategies.ema_cross import EMACross, EMACrossConfig
    from nautilus_trader.model.currencies import BTC, USDT
    from nautilus_trader.model.data import BarType
    from nautilus_trader.model.enums import AccountType, OmsType
    from nautilus_trader.model.identifiers import InstrumentId, Symbol, TraderId, Venue
    from nautilus_trader.model.instruments import CurrencyPair
    from nautilus_trader.model.objects import Money, Price, Quantity
    from nautilus_trader.persistence.wranglers import BarDataWrangler

    df = load(args.data, args.bars)
    venue = Venue("MEXC")
    # BTCUSDT like vela's: 2 price and 6 quantity decimals, 0 % maker, 0.05 % taker.
    instrument = CurrencyPair(
        instrument_id=InstrumentId(Symbol("BTCUSDT"), venue),
        raw_symbol=Symbol("BTCUSDT"),
        base_currency=BTC,
        quote_currency=USDT,
        price_precision=2,
        size_precision=6,
        price_increment=Price.from_str("0.01"),
        size_increment=Quantity.from_str("0.000001"),
        lot_size=None,
        max_quantity=Quantity.from_str("9000.000000"),
        min_quantity=Quantity.from_str("0.000001"),
        max_notional=None,
        min_notional=Money(1, USDT),
        max_price=Price.from_str("10000000.00"),
        min_price=Price.from_str("0.01"),
        margin_init=Decimal(0),
        margin_maint=Decimal(0),
        maker_fee=Decimal("0"),
        taker_fee=Decimal(str(FEE)),
        ts_event=0,
        ts_init=0,
    )
    bar_type = BarType.from_str("BTCUSDT.MEXC-1-MINUTE-LAST-EXTERNAL")
    # Nautilus stamps a bar at its close: shift the open times by one interval.
    frame = df.copy()
    frame.index = (frame.index + pd.Timedelta(minutes=1)).tz_localize("UTC")
    bars = BarDataWrangler(bar_type, instrument).process(frame)
    first_price = float(df["close"].iloc[0])
    # The example is always in the market: it trades a fixed quantity and flips between
    # long and short on each cross (two orders per flip). On a CASH account it needs base
    # currency to sell from and enough quote for the flips' fees over 1M bars, so the
    # account holds what Nautilus's own crypto EMA-cross example gives it (1,000,000 USDT
    # and 10 BTC); with 10,000 USDT the orders are denied for want of cash within the first
    # 100k bars and it stops trading. Each order is ~90 % of 10,000 USDT at the first
    # price.
    trade_size = Decimal(f"{0.9 * 10_000 / first_price:.6f}")

    def run():
        engine = BacktestEngine(
            config=BacktestEngineConfig(
                trader_id=TraderId("BENCH-001"),
                logging=LoggingConfig(log_level=os.environ.get("NAUTILUS_LOG", "ERROR"), bypass_logging="NAUTILUS_LOG" not in os.environ),
            )
        )
        engine.add_venue(
            venue=venue,
            oms_type=getattr(OmsType, os.environ.get("NAUTILUS_OMS", "NETTING")),
            account_type=AccountType.CASH,
            base_currency=None,
            starting_balances=[Money(1_000_000, USDT), Money(10, BTC)],
        )
        engine.add_instrument(instrument)
        engine.add_data(bars)
        engine.add_strategy(
            EMACross(
                EMACrossConfig(
                    instrument_id=instrument.id,
                    bar_type=bar_type,
                    trade_size=trade_size,
                    fast_ema_period=args.fast,
                    slow_ema_period=args.slow,
                )
            )
        )
        # The event loop: run(streaming=True) replays the bars and leaves the run open;
        # end() then stops the trader and writes the post-run statistics (its portfolio
        # analyzer appends positions to pandas frames row by row: quadratic in the number
        # of positions, 8.7 s of a 40,000-bar run here), timed apart.
        start = time.perf_counter()
        engine.run(streaming=True)
        loop = time.perf_counter() - start
        start = time.perf_counter()
        engine.end()
        end = time.perf_counter() - start
        fills = len(engine.trader.generate_order_fills_report())
        engine.dispose()
        return loop, end, fills

    # Building the engine and adding the bars are not timed. No untimed warm-up: a run
    # costs tens of seconds and nothing is compiled on the first one.
    seconds, ends, fills = [], [], 0
    for _ in range(args.repeat or 3):
        loop, end, fills = run()
        seconds.append(loop)
        ends.append(end)
    emit(
        "NautilusTrader",
        "event_replay",
        seconds,
        bars=len(df),
        fills=fills,
        trade_size=str(trade_size),
        end_s=statistics.median(ends),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "workload", choices=["vectorbt-single", "vectorbt-sweep", "backtesting", "nautilus"]
    )
    parser.add_argument("--data", required=True)
    parser.add_argument("--bars", type=int, default=None, help="use only the first N bars")
    parser.add_argument("--fast", type=int, default=10)
    parser.add_argument("--slow", type=int, default=30)
    parser.add_argument(
        "--windows", type=lambda s: [int(w) for w in s.split(",")], default=[10, 20, 30]
    )
    parser.add_argument("--repeat", type=int, default=0)
    args = parser.parse_args()
    {
        "vectorbt-single": vectorbt_single,
        "vectorbt-sweep": vectorbt_sweep,
        "backtesting": backtesting_run,
        "nautilus": nautilus_run,
    }[args.workload](args)


if __name__ == "__main__":
    sys.exit(main())
