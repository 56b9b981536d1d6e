"""Driver of benches/compare (run.sh calls it with the venv's Python): runs every workload
of vela (the `compare` bench binary) and of the Python peers (peers.py) in its own process,
one after the other, records each process's peak resident memory (os.wait4) and the load
average around it, and prints the side-by-side table (also written to results.md).

Ratios are throughput ratios: how many times more bars (or bar-combinations) per second
vela processes than the peer on the same workload.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run(cmd: list[str], label: str) -> tuple[list[dict], int, tuple[float, float]]:
    """Runs cmd; its JSON lines, its peak RSS in bytes, the 1-minute load before/after."""
    print(f"--- {label}: {' '.join(cmd)}", file=sys.stderr, flush=True)
    load_before = os.getloadavg()[0]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    load_after = os.getloadavg()[0]
    if proc.returncode != 0:
        raise SystemExit(f"{label} failed with exit code {proc.returncode}")
    lines = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
    for line in lines:
        print(f"    {json.dumps(line)}", file=sys.stderr, flush=True)
    return lines, usage.ru_maxrss * 1024, (load_before, load_after)


def fmt_time(s: float) -> str:
    if s < 1.0:
        return f"{s * 1e3:.1f} ms"
    return f"{s:.2f} s"


def fmt_rate(r: float, unit: str) -> str:
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if r >= scale:
            return f"{r / scale:.3g} {suffix} {unit}/s"
    return f"{r:.3g} {unit}/s"


def fmt_mem(b: int) -> str:
    return f"{b / 2**30:.2f} GiB" if b >= 2**30 else f"{b / 2**20:.0f} MiB"


def windows_list(spec: str) -> list[int]:
    """`5:100:5` (start:stop:step, inclusive) or `5,10,20`."""
    if ":" in spec:
        start, stop, step = (int(x) for x in spec.split(":"))
        return list(range(start, stop + 1, step))
    return [int(x) for x in spec.split(",")]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data", help="the generated bar file (CSV); required")
    p.add_argument("--vela", help="the compare bench executable; required")
    p.add_argument("--python", default=sys.executable, help="the venv's Python")
    p.add_argument("--windows", default="5:100:5", help="sweep windows (190 pairs)")
    p.add_argument(
        "--big-windows",
        default="5:230:5",
        help="vela-only sweep for the memory check (46 windows: 1,035 pairs); '' to skip",
    )
    p.add_argument(
        "--nautilus-bars",
        type=int,
        default=100_000,
        help="NautilusTrader replays this prefix of the bars (0: all)",
    )
    p.add_argument("--repeat", type=int, default=0, help="timed runs per measurement")
    p.add_argument("--skip", default="", help="comma-separated: vectorbt,sweep,backtesting,nautilus")
    p.add_argument("--out", default=str(HERE / "results.md"))
    p.add_argument(
        "--render",
        metavar="JSON",
        help="only re-render the table from a previous run's JSON (written beside --out)",
    )
    args = p.parse_args()
    if args.render:
        saved = json.loads(Path(args.render).read_text())
        results = {(r["tool"], r["key"]): r for r in saved["results"]}
        table = render(results, argparse.Namespace(**saved["args"]), saved["windows"])
        print(table)
        Path(args.out).write_text(table)
        return
    if not args.data or not args.vela:
        p.error("--data and --vela are required (unless --render)")
    skip = set(filter(None, args.skip.split(",")))
    data = args.data
    windows = ",".join(str(w) for w in windows_list(args.windows))
    rep = ["--repeat", str(args.repeat)] if args.repeat else []
    vela = [args.vela, "--data", data]
    peers = [args.python, str(HERE / "peers.py")]
    prefix = ["--bars", str(args.nautilus_bars)] if args.nautilus_bars else []

    results: dict[tuple[str, str], dict] = {}

    def record(lines, rss, load, key_suffix=""):
        for line in lines:
            line["peak_rss"] = rss
            line["load"] = load
            results[(line["tool"], line["workload"] + key_suffix)] = line

    record(*run(vela + ["--workload", "single"] + rep, "vela single run"))
    if "vectorbt" not in skip:
        record(*run(peers + ["vectorbt-single", "--data", data] + rep, "vectorbt single run"))
    if "sweep" not in skip:
        record(*run(vela + ["--workload", "sweep", "--windows", windows] + rep, "vela sweep"))
        if args.big_windows:
            big = ",".join(str(w) for w in windows_list(args.big_windows))
            lines, rss, load = run(
                vela + ["--workload", "sweep", "--windows", big, "--repeat", "1"],
                "vela sweep (memory check)",
            )
            record(lines, rss, load, "_big")
        if "vectorbt" not in skip:
            record(
                *run(
                    peers + ["vectorbt-sweep", "--data", data, "--windows", windows] + rep,
                    "vectorbt sweep",
                )
            )
    record(*run(vela + ["--workload", "event"] + rep, "vela event replay"))
    if "backtesting" not in skip:
        record(*run(peers + ["backtesting", "--data", data] + rep, "backtesting.py"))
    if "nautilus" not in skip:
        record(
            *run(
                vela + ["--workload", "event", "--ma", "ema"] + prefix + rep,
                "vela event replay (EMA, Nautilus's bars)",
            ),
            "_ema",
        )
        record(*run(peers + ["nautilus", "--data", data] + prefix + rep, "NautilusTrader"))

    table = render(results, args, windows)
    print(table)
    Path(args.out).write_text(table)
    raw = {
        "args": vars(args),
        "windows": windows,
        "results": [dict(line, key=key[1]) for key, line in results.items()],
    }
    Path(args.out).with_suffix(".json").write_text(json.dumps(raw, indent=1) + "\n")
    print(f"written to {args.out}", file=sys.stderr)


def render(results: dict, args, windows: str) -> str:
    rows = []

    def rate(line) -> tuple[float, str]:
        if "pairs" in line:
            return line["bars"] * line["pairs"] / line["median_s"], "bar-combinations"
        return line["bars"] / line["median_s"], "bars"

    def row(label, tool_key, vela_key, detail=""):
        line = results.get(tool_key)
        if line is None:
            return
        r, unit = rate(line)
        ref = results.get(vela_key)
        if tool_key == vela_key or ref is None:
            ratio = "1×" if tool_key == vela_key else "–"
        else:
            ratio = f"**{rate(ref)[0] / r:.1f}×**"
        load = line["load"]
        rows.append(
            f"| {line['tool']} | {label} | {line['bars']:,} | {fmt_time(line['median_s'])} "
            f"({len(line['runs_s'])} run{'s' if len(line['runs_s']) > 1 else ''}) | {fmt_rate(r, unit)} "
            f"| {ratio} | {fmt_mem(line['peak_rss'])} | {load[0]:.1f}–{load[1]:.1f} | {detail} |"
        )

    def trades(key):
        line = results.get(key, {})
        bits = []
        for k in ("trades", "fills"):
            if k in line:
                bits.append(f"{line[k]:,} {k}")
        if "total_return" in line:
            bits.append(f"return {line['total_return'] * 100:.9g} %")
        if "final_equity" in line:
            bits.append(f"final equity {float(line['final_equity']):,.2f}")
        if "end_s" in line:
            bits.append(f"+ {fmt_time(line['end_s'])} in `end()` (stop, post-run statistics)")
        return ", ".join(bits)

    def pairs(key):
        line = results.get(key)
        if not line:
            return ""
        best = line.get("best", {})
        return (
            f"{line['pairs']} pairs, {line.get('threads', 1)} thread(s); best "
            f"{best.get('fast')}/{best.get('slow')}"
        )

    v = ("vela", "single_pipeline")
    row("single run, whole pipeline (SMA 10/30: MAs, signals, simulation)", v, v, trades(v))
    row("single run, whole pipeline (SMA 10/30: MAs, signals, simulation)",
        ("vectorbt", "single_pipeline"), v, trades(("vectorbt", "single_pipeline")))
    v = ("vela", "single_simulate")
    row("single run, simulation alone", v, v)
    row("single run, `from_signals` alone", ("vectorbt", "single_simulate"), v)
    v = ("vela", "sweep")
    row("sweep, every (fast, slow) pair", v, v, pairs(v))
    row("sweep, every (fast, slow) pair (`MA.run_combs` + `from_signals`)",
        ("vectorbt", "sweep"), v, pairs(("vectorbt", "sweep")))
    row("sweep, memory check", ("vela", "sweep_big"), ("vela", "sweep_big"),
        pairs(("vela", "sweep_big")))
    v = ("vela", "event_replay")
    row("event replay, engine + risk layer, SMA 10/30", v, v, trades(v))
    row("event replay, SMA 10/30 (`Backtest.run`)", ("backtesting.py", "event_replay"), v,
        trades(("backtesting.py", "event_replay")))
    v = ("vela", "event_replay_ema")
    row("event replay, engine + risk layer, EMA 10/30", v, v, trades(v))
    row("event replay, `BacktestEngine` + EMACross 10/30", ("NautilusTrader", "event_replay"),
        v, trades(("NautilusTrader", "event_replay")))

    now = getattr(args, "measured", None) or dt.datetime.now(dt.timezone.utc).strftime(
        "%Y-%m-%d %H:%M UTC"
    )
    args.measured = now
    header = [
        "# vela vs the Python peers",
        "",
        f"Measured {now} on {platform.node() or 'this machine'}: {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; `benches/compare/run.sh`. Input: "
        f"`{Path(args.data).name}` (vela's seeded generator, seed 7). Times are medians "
        "of the timed runs after one untimed warm-up (numba compilation for vectorbt); "
        "ratios compare throughput with vela's row of the same workload. Peak memory is "
        "the whole process's maximum resident set (data loading included). Load is the "
        "1-minute load average before–after the process (2 cores: above 2 means other "
        "jobs shared the machine, so every figure is an upper bound).",
        "",
        f"Sweep windows: {windows}.",
        "",
        "| Tool | Workload | Bars | Time (median) | Throughput | vela is | Peak memory "
        "| Load | Detail |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    return "\n".join(header + rows) + "\n"


if __name__ == "__main__":
    main()
