"""The PNG the issue asks for: throughput, latencies, lag, CPU, RSS, events/s and errors over the run."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: render straight to a file
import matplotlib.pyplot as plt
from matplotlib.axes import Axes

from bench.monitor import Series
from bench.ramp import StepWindow
from bench.recorder import Recorder


def _per_second(times: list[float], end: float) -> tuple[list[int], list[int]]:
    counts = [0] * (int(end) + 1)
    for t in times:
        if 0 <= t <= end:
            counts[int(t)] += 1
    return list(range(len(counts))), counts


def _steps(ax: Axes, windows: list[StepWindow]) -> None:
    for w in windows:
        ax.axvline(w.start, color="grey", linewidth=0.6, linestyle=":")
        ax.text(w.start, 1.0, f" {w.concurrency}", transform=ax.get_xaxis_transform(), fontsize=7, va="top")


def _lines(ax: Axes, at: list[float], by_name: dict[str, list[float]], title: str, ylabel: str) -> None:
    for name, values in sorted(by_name.items()):
        ax.plot(at, values, label=name, linewidth=1)
    ax.set_title(title, fontsize=9)
    ax.set_ylabel(ylabel, fontsize=8)
    if by_name:
        ax.legend(fontsize=6, ncol=2)


def _by_name(samples: Sequence[Mapping[str, float]]) -> dict[str, list[float]]:
    names = sorted({n for s in samples for n in s})
    return {n: [s.get(n, 0.0) for s in samples] for n in names}


def draw(
    path: Path, recorder: Recorder, windows: list[StepWindow], series: Series, results: dict[str, Any]
) -> None:
    end = recorder.now()  # the open loop and the hot product follow the ramp
    fig, axes = plt.subplots(4, 2, figsize=(14, 16))
    a = axes.flatten()

    x, done = _per_second([c.at for c in recorder.completions], end)
    a[0].plot(x, done, linewidth=1)
    a[0].set_title(
        "completed checkouts per second (complete and shipped; stock verified per step)", fontsize=9
    )
    a[0].set_xlabel("s", fontsize=8)

    endpoints = results["endpoints_ms"]
    names = list(endpoints)
    for offset, p in enumerate(("p50", "p95", "p99")):
        a[1].barh(
            [i + offset * 0.27 for i in range(len(names))],
            [endpoints[n][p] for n in names],
            height=0.27,
            label=p,
        )
    a[1].set_yticks([i + 0.27 for i in range(len(names))], names, fontsize=6)
    a[1].set_xscale("log")
    a[1].set_title("HTTP latency per endpoint, sustained step (ms)", fontsize=9)
    a[1].legend(fontsize=7)

    steps = results["steps"]
    labels = [s["concurrency"] for s in steps]
    for key, style in (("checkout_to_complete_ms", "-o"), ("capture_to_complete_ms", "--s")):
        for p in ("p50", "p99"):
            a[2].plot(labels, [s[key][p] for s in steps], style, label=f"{key[:-3]} {p}", linewidth=1)
    a[2].set_title("checkout->complete and capture->complete latency by concurrency (ms)", fontsize=9)
    a[2].set_xlabel("concurrent shoppers", fontsize=8)
    a[2].set_xticks(labels)
    a[2].legend(fontsize=7)

    _lines(
        a[3], [s.at for s in series.lag], _by_name([s.lag for s in series.lag]), "consumer lag", "messages"
    )
    _lines(
        a[4],
        [s.at for s in series.processes],
        _by_name([s.cpu_percent for s in series.processes]),
        "CPU share per process",
        "% of one core",
    )
    _lines(
        a[5],
        [s.at for s in series.processes],
        _by_name([s.rss_mb for s in series.processes]),
        "RSS per process",
        "MB",
    )
    _lines(
        a[6],
        [m.at for m in series.metrics],
        _by_name([m.events_per_second for m in series.metrics]),
        "events appended per second",
        "events/s",
    )

    fails: dict[int, int] = defaultdict(int)
    for f in recorder.failures:
        fails[int(f.at)] += 1
    cumulative, total = [], 0
    for second in range(int(end) + 1):
        total += fails.get(second, 0)
        cumulative.append(total)
    a[7].plot(range(len(cumulative)), cumulative, color="red")
    a[7].set_title(f"errors, cumulative (must be 0): {results['errors']}", fontsize=9)

    for ax in (a[0], a[3], a[4], a[5], a[6], a[7]):
        _steps(ax, windows)
        ax.tick_params(labelsize=7)
    m = results["machine"]
    fig.suptitle(
        f"{results['checkouts_per_second']} checkouts/s at {results['concurrency']} shoppers,"
        f" p99 HTTP {results['p99_http_ms']} ms, errors {results['errors']}"
        f" | {m['cpu_model']}, {m['cores']} cores, {m['ram_gb']} GB",
        fontsize=10,
    )
    fig.tight_layout(rect=(0, 0, 1, 0.98))
    fig.savefig(path, dpi=90)
    plt.close(fig)
