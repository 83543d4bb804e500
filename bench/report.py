"""The results: one dict (written as bench/results.json) and the table printed at the end."""

from __future__ import annotations

import os
from collections import defaultdict
from typing import Any

from bench.costs import PER_CHECKOUT_KEYS
from bench.monitor import Series
from bench.open_loop import OpenLoopWindow
from bench.processes import BENCH, OTHERS
from bench.ramp import StepWindow
from bench.recorder import Latency, Recorder
from bench.stats import percentile, summary
from bench.stock_ledger import ENDPOINT as STOCK_CHECK

TARGETS = {
    "checkouts_per_second": 100.0,
    "p99_http_ms": 100.0,
    "p99_capture_to_complete_ms": 250.0,
    "max_service_rss_mb": 150.0,
    "sql_round_trips_per_checkout": 60.0,
    "commits_per_checkout": 15.0,
    "stack_cpu_ms_per_checkout": 20.0,
}


def _workload(latencies: list[Latency]) -> list[float]:
    """The shoppers' requests: the bench's own stock checks are not part of the checkout."""
    return [lat.ms for lat in latencies if lat.endpoint != STOCK_CHECK]


def _processes(series: Series, start: float, end: float) -> dict[str, dict[str, float]]:
    """Mean CPU share and peak RSS per process during a window."""
    cpu: dict[str, list[float]] = defaultdict(list)
    rss: dict[str, list[float]] = defaultdict(list)
    for sample in series.processes:
        if start <= sample.at <= end:
            for name, value in sample.cpu_percent.items():
                cpu[name].append(value)
            for name, mb in sample.rss_mb.items():
                rss[name].append(mb)
    return {
        name: {
            "cpu_percent_of_one_core_mean": round(sum(values) / len(values), 1),
            "rss_mb_max": round(max(rss[name]), 1) if rss.get(name) else 0.0,
        }
        for name, values in sorted(cpu.items())
    }


def machine_busy_percent(processes: dict[str, dict[str, float]], cores: int | None = None) -> float | None:
    """How busy the whole machine was in a window, 100 being every core: the stack's, the load
    generator's and everyone else's shares of a core, over the cores. Near 100, every request and
    message waits for a core, and latency is mostly that wait."""
    cores = cores if cores is not None else (os.cpu_count() or 0)
    if cores <= 0 or not processes:
        return None
    return round(sum(p["cpu_percent_of_one_core_mean"] for p in processes.values()) / cores, 1)


def _cpu_per_checkout(processes: dict[str, dict[str, float]], rate: float) -> dict[str, float]:
    """CPU ms per completed checkout of each process: its mean share of a core over the rate."""
    return {
        name: round(p["cpu_percent_of_one_core_mean"] * 10 / rate, 1)
        for name, p in processes.items()
        if name != OTHERS and rate > 0
    }


def _stack_cpu(per_process: dict[str, float]) -> float:
    """Every process of the stack; the load generator and the rest of the machine are not the shop's."""
    return round(sum(v for k, v in per_process.items() if k != BENCH), 1)


def _step(recorder: Recorder, series: Series, index: int, window: StepWindow) -> dict[str, Any]:
    seconds = max(window.end - window.start, 0.001)
    done = [c for c in recorder.completions if window.start <= c.at < window.end]
    http = _workload([lat for lat in recorder.latencies if window.start <= lat.at < window.end])
    rate = len(done) / seconds
    processes = _processes(series, window.start, window.end)
    return {
        "step": index + 1,
        "concurrency": window.concurrency,
        "seconds": round(seconds, 1),
        "completed": len(done),
        "checkouts_per_second": round(rate, 1),
        "http_ms": summary(http),
        "checkout_to_complete_ms": summary([c.checkout_to_complete_ms for c in done]),
        "capture_to_complete_ms": summary([c.capture_to_complete_ms for c in done]),
        "errors": sum(1 for f in recorder.failures if f.step == index),
        "stack_cpu_ms_per_checkout": _stack_cpu(_cpu_per_checkout(processes, rate)) if rate > 0 else None,
        "machine_busy_percent": machine_busy_percent(processes),
        **{key: window.costs.get(key) for key in PER_CHECKOUT_KEYS},
    }


def _by_endpoint(latencies: list[Latency]) -> dict[str, dict[str, float]]:
    by_endpoint: dict[str, list[float]] = defaultdict(list)
    for lat in latencies:
        by_endpoint[lat.endpoint].append(lat.ms)
    return {name: summary(values) for name, values in sorted(by_endpoint.items())}


def open_loop_results(
    recorder: Recorder, series: Series, window: OpenLoopWindow, phase: int
) -> dict[str, Any]:
    """The open-loop run: its latencies (from each checkout's due time), throughput, errors and costs."""
    latencies = [lat for lat in recorder.latencies if lat.step == phase]
    done = [c for c in recorder.completions if c.step == phase]
    seconds = max(window.end - window.start, 0.001)
    rate = len(done) / seconds
    processes = _processes(series, window.start, window.end)
    per_process = _cpu_per_checkout(processes, rate)
    http = _workload(latencies)
    return {
        "rate": window.rate,
        "seconds": window.seconds,
        "scheduled": window.scheduled,
        "completed": len(done),
        "errors": sum(1 for f in recorder.failures if f.step == phase),
        "products": window.products,
        "wall_seconds": round(seconds, 1),
        "checkouts_per_second": round(rate, 1),
        "p50_http_ms": round(percentile(http, 50), 1),
        "p99_http_ms": round(percentile(http, 99), 1),
        "p99_capture_to_complete_ms": round(percentile([c.capture_to_complete_ms for c in done], 99), 1),
        "http_ms": summary(http),
        "endpoints_ms": _by_endpoint(latencies),
        "capture_to_complete_ms": summary([c.capture_to_complete_ms for c in done]),
        "start_to_complete_ms": summary([c.start_to_complete_ms for c in done]),
        "start_lag_ms": summary(window.start_lag_ms),
        "hops_ms": window.hops_ms,
        "cpu_ms_per_checkout": per_process,
        "stack_cpu_ms_per_checkout": _stack_cpu(per_process) if rate > 0 else None,
        "machine_busy_percent": machine_busy_percent(processes),
        **{key: window.costs.get(key) for key in PER_CHECKOUT_KEYS},
    }


def build_results(
    recorder: Recorder,
    windows: list[StepWindow],
    series: Series,
    hot: dict[str, Any] | None,
    machine: dict[str, Any],
    services: list[str],
    *,
    open_loop: dict[str, Any] | None = None,
    postgres_settings: dict[str, str] | None = None,
    durable: bool = False,
) -> dict[str, Any]:
    steps = [_step(recorder, series, i, w) for i, w in enumerate(windows)]
    top = windows[-1] if windows else StepWindow(0, 0.0, 0.0)
    top_step = steps[-1] if steps else _step(recorder, series, 0, top)
    in_top = [lat for lat in recorder.latencies if top.start <= lat.at < top.end]
    http_top = _workload(in_top)
    processes = _processes(series, top.start, top.end)
    events = [sum(m.events_per_second.values()) for m in series.metrics if top.start <= m.at <= top.end]
    published = [sum(m.published_per_second.values()) for m in series.metrics if top.start <= m.at <= top.end]
    lags = [sum(s.lag.values()) for s in series.lag if top.start <= s.at <= top.end]
    service_rss = {name: p["rss_mb_max"] for name, p in processes.items() if name in services}
    cpu_per_checkout = _cpu_per_checkout(processes, top_step["checkouts_per_second"])
    settings = postgres_settings or {}
    results: dict[str, Any] = {
        "checkouts_per_second": top_step["checkouts_per_second"],
        "concurrency": top.concurrency,
        "sustained_seconds": top_step["seconds"],
        "completed": len(recorder.completions),
        "completed_in_sustained_step": top_step["completed"],
        "p50_http_ms": round(percentile(http_top, 50), 1),
        "p99_http_ms": round(percentile(http_top, 99), 1),
        "p99_capture_to_complete_ms": top_step["capture_to_complete_ms"]["p99"],
        "p99_checkout_to_complete_ms": top_step["checkout_to_complete_ms"]["p99"],
        "errors": len(recorder.failures),
        "error_kinds": recorder.failure_kinds(),
        "events_appended_per_second_mean": round(sum(events) / len(events), 1) if events else 0.0,
        "kafka_messages_published_per_second_mean": round(sum(published) / len(published), 1)
        if published
        else 0.0,
        "consumer_lag_max": max(lags) if lags else None,
        "max_service_rss_mb": max(service_rss.values()) if service_rss else 0.0,
        "cpu_ms_per_checkout": cpu_per_checkout,
        "stack_cpu_ms_per_checkout": _stack_cpu(cpu_per_checkout),
        **{key: top.costs.get(key) for key in PER_CHECKOUT_KEYS},
        "durable": durable,
        "postgres_settings": settings,
        "steps": steps,
        "endpoints_ms": _by_endpoint(in_top),
        "processes": processes,
        "cpu_of_rest_of_machine_percent": processes.get(OTHERS, {}).get("cpu_percent_of_one_core_mean"),
        "cpu_of_load_generator_percent": processes.get(BENCH, {}).get("cpu_percent_of_one_core_mean"),
        "machine_busy_percent": top_step["machine_busy_percent"],
        "open_loop": open_loop,
        "hot_product": hot,
        "machine": machine,
        "targets": TARGETS,
    }

    def at_most(key: str) -> bool:
        value = results[key]
        return value is not None and value <= TARGETS[key]

    results["targets_met"] = {
        "checkouts_per_second": results["checkouts_per_second"] >= TARGETS["checkouts_per_second"],
        "p99_http_ms": results["p99_http_ms"] < TARGETS["p99_http_ms"],
        "p99_capture_to_complete_ms": results["p99_capture_to_complete_ms"]
        < TARGETS["p99_capture_to_complete_ms"],
        "max_service_rss_mb": results["max_service_rss_mb"] < TARGETS["max_service_rss_mb"],
        "sql_round_trips_per_checkout": at_most("sql_round_trips_per_checkout"),
        "commits_per_checkout": at_most("commits_per_checkout"),
        "stack_cpu_ms_per_checkout": at_most("stack_cpu_ms_per_checkout"),
        "durable": durable,
        "errors": results["errors"] == 0,
    }
    if open_loop is not None:
        results["targets_met"]["open_loop_p99_http_ms"] = open_loop["p99_http_ms"] < TARGETS["p99_http_ms"]
        results["targets_met"]["open_loop_p99_capture_to_complete_ms"] = (
            open_loop["p99_capture_to_complete_ms"] < TARGETS["p99_capture_to_complete_ms"]
        )
    return results


def _n(value: Any) -> str:
    return "-" if value is None else str(value)


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def _costs_table(rows: list[tuple[str, dict[str, Any]]]) -> list[str]:
    lines = [
        "per completed checkout, counted by the servers"
        "      SQL round trips (+nested)  commits (writes)  WAL flushes  Kafka msgs  Kafka reqs  events"
        "  stack CPU ms"
    ]
    for label, r in rows:
        lines.append(
            f"{label:<46}  {_n(r.get('sql_round_trips_per_checkout')):>15}"
            f" {'(+' + _n(r.get('sql_nested_statements_per_checkout')) + ')':>9}"
            f"  {_n(r.get('commits_per_checkout')):>7}"
            f" {'(' + _n(r.get('write_commits_per_checkout')) + ')':>8}"
            f"  {_n(r.get('wal_flushes_per_checkout')):>11}"
            f"  {_n(r.get('kafka_messages_per_checkout')):>10}"
            f"  {_n(r.get('kafka_requests_per_checkout')):>10}"
            f"  {_n(r.get('events_appended_per_checkout')):>6}  {_n(r.get('stack_cpu_ms_per_checkout')):>12}"
        )
    for label, r in rows:
        if by_api := r.get("kafka_requests_by_api_per_checkout"):
            apis = ", ".join(f"{api} {count}" for api, count in by_api.items())
            lines.append(f"Kafka requests by API, {label}: {apis}")
    return lines


def _open_loop_table(o: dict[str, Any]) -> list[str]:
    lines = [
        "",
        f"open loop: {o['rate']:g} checkouts/s scheduled for {o['seconds']:g} s ({o['scheduled']} over"
        f" {o['products']} products): {o['completed']} completed in {o['wall_seconds']} s"
        f" ({o['checkouts_per_second']}/s), {o['errors']} errors; latencies count from each checkout's"
        " due time",
        f"  HTTP p50/p99 {o['p50_http_ms']}/{o['p99_http_ms']} ms,"
        f" capture->complete p50/p99 {o['capture_to_complete_ms']['p50']}"
        f"/{o['p99_capture_to_complete_ms']} ms,"
        f" due->complete p50/p99 {o['start_to_complete_ms']['p50']}/{o['start_to_complete_ms']['p99']} ms,"
        f" start lag p99/max {o['start_lag_ms']['p99']}/{o['start_lag_ms']['max']} ms;"
        f" the machine {_n(o.get('machine_busy_percent'))} % busy",
        "  endpoint (open loop)                                   count     p50     p99",
    ]
    for name, s in o["endpoints_ms"].items():
        lines.append(f"  {name:<52}  {s['count']:>7}  {s['p50']:>6}  {s['p99']:>6}")
    if o.get("hops_ms"):
        lines.append(f"  {'hop between services (Kafka record times, open loop)':<72}  count     p50     p99")
        for name, s in o["hops_ms"].items():
            lines.append(f"  {name:<72}  {s['count']:>5}  {s['p50']:>6}  {s['p99']:>6}")
    return lines


def table(results: dict[str, Any]) -> str:
    """The printed summary: the ramp, the costs, the endpoints, the processes, the open loop, the hot
    product, the verdicts."""
    lines = [
        "step  shoppers  seconds  checkouts/s  http p50/p99 ms  checkout->complete p50/p99 ms"
        "  capture->complete p50/p99 ms  errors  machine busy %"
    ]
    for s in results["steps"]:
        lines.append(
            f"{s['step']:>4}  {s['concurrency']:>8}  {s['seconds']:>7}  {s['checkouts_per_second']:>11}"
            f"  {s['http_ms']['p50']:>7}/{s['http_ms']['p99']:<7}"
            f"  {s['checkout_to_complete_ms']['p50']:>14}/{s['checkout_to_complete_ms']['p99']:<14}"
            f"  {s['capture_to_complete_ms']['p50']:>13}/{s['capture_to_complete_ms']['p99']:<14}"
            f"  {s['errors']:>6}  {_n(s.get('machine_busy_percent')):>14}"
        )
    rows = [(f"step {s['step']} ({s['concurrency']} shoppers)", s) for s in results["steps"]]
    if results.get("open_loop"):
        rows.append((f"open loop ({results['open_loop']['rate']:g}/s)", results["open_loop"]))
    pg = results.get("postgres_settings") or {}
    lines += [
        "",
        *_costs_table(rows),
        f"PostgreSQL fsync={_n(pg.get('fsync'))} synchronous_commit={_n(pg.get('synchronous_commit'))}"
        f" full_page_writes={_n(pg.get('full_page_writes'))}:"
        f" {'durable' if results['durable'] else 'NOT durable (acknowledged commits may be lost)'}",
    ]
    lines += ["", "endpoint (sustained step)                               count     p50     p95     p99"]
    for name, s in results["endpoints_ms"].items():
        lines.append(f"{name:<52}  {s['count']:>7}  {s['p50']:>6}  {s['p95']:>6}  {s['p99']:>6}")
    lines += [
        "",
        "process (sustained step)     CPU % of one core (mean)   CPU ms per checkout   RSS MB (max)*",
    ]
    for name, p in results["processes"].items():
        per = results["cpu_ms_per_checkout"].get(name, "")
        lines.append(
            f"{name:<28} {p['cpu_percent_of_one_core_mean']:>24}   {per:>19}   {p['rss_mb_max']:>12}"
        )
    lines.append(
        f"the stack (services, gateway, Kafka, PostgreSQL) spent {results['stack_cpu_ms_per_checkout']} ms"
        " of CPU per completed checkout; 100 checkouts/s on 2 cores leave it about 20 ms"
    )
    lines.append("* PSS summed over the processes for a server that runs several (PostgreSQL), every 10 s")
    lines.append(
        f"events appended {results['events_appended_per_second_mean']}/s,"
        f" Kafka messages published {results['kafka_messages_published_per_second_mean']}/s (sustained step)"
    )
    if results.get("open_loop"):
        lines += _open_loop_table(results["open_loop"])
    hot = results.get("hot_product")
    if hot:
        lines += [
            "",
            f"hot product: {hot['shoppers']} shoppers, stock {hot['stock']}: {hot['paid']} paid,"
            f" {hot['refused_with_stock_error']} refused with the stock error (expected),"
            f" storm of {hot['orders']} payments in {hot['payment_storm_seconds']} s;"
            f" stock after {hot['stock_after']}",
        ]
    met = results["targets_met"]
    t = results["targets"]
    lines += [
        "",
        f"checkouts/s {results['checkouts_per_second']} (target >= {t['checkouts_per_second']:.0f}):"
        f" {_verdict(met['checkouts_per_second'])}",
        f"p99 HTTP {results['p99_http_ms']} ms (target < {t['p99_http_ms']:.0f}):"
        f" {_verdict(met['p99_http_ms'])}",
        f"p99 capture->complete {results['p99_capture_to_complete_ms']} ms (target < "
        f"{t['p99_capture_to_complete_ms']:.0f}): {_verdict(met['p99_capture_to_complete_ms'])}",
    ]
    if results.get("open_loop"):
        o = results["open_loop"]
        lines += [
            f"open loop p99 HTTP {o['p99_http_ms']} ms (target < {t['p99_http_ms']:.0f}):"
            f" {_verdict(met['open_loop_p99_http_ms'])}",
            f"open loop p99 capture->complete {o['p99_capture_to_complete_ms']} ms (target <"
            f" {t['p99_capture_to_complete_ms']:.0f}):"
            f" {_verdict(met['open_loop_p99_capture_to_complete_ms'])}",
        ]
    lines += [
        f"SQL round trips per checkout {_n(results['sql_round_trips_per_checkout'])} (target <="
        f" {t['sql_round_trips_per_checkout']:.0f}): {_verdict(met['sql_round_trips_per_checkout'])}",
        f"commits per checkout {_n(results['commits_per_checkout'])} (target <="
        f" {t['commits_per_checkout']:.0f}): {_verdict(met['commits_per_checkout'])}",
        f"stack CPU per checkout {results['stack_cpu_ms_per_checkout']} ms (target <="
        f" {t['stack_cpu_ms_per_checkout']:.0f}): {_verdict(met['stack_cpu_ms_per_checkout'])}",
        f"durable PostgreSQL: {_verdict(met['durable'])}",
        f"max service RSS {results['max_service_rss_mb']} MB (target < {t['max_service_rss_mb']:.0f}):"
        f" {_verdict(met['max_service_rss_mb'])}",
        f"errors {results['errors']} (must be 0): {_verdict(met['errors'])}",
    ]
    for kind, count in list(results["error_kinds"].items())[:10]:
        lines.append(f"  {count} x {kind}")
    m = results["machine"]
    lines.append(
        f"machine: {m['cpu_model']}, {m['cores']} cores, {m['ram_gb']} GB, Python {m['python']};"
        f" rest of machine used {results['cpu_of_rest_of_machine_percent']} % of one core on average"
    )
    return "\n".join(lines)


def statements_text(results: dict[str, Any]) -> str:
    """BENCH_STATEMENTS=1's breakdown of the sustained step, one statement a line: calls per checkout,
    database, and whether it was a round trip (top) or ran inside another statement (nested)."""
    lines = [
        f"SQL statements per completed checkout, sustained step ({results['completed_in_sustained_step']}"
        f" checkouts): {_n(results.get('sql_round_trips_per_checkout'))} top-level"
        f" (+{_n(results.get('sql_nested_statements_per_checkout'))} nested),"
        f" {_n(results.get('commits_per_checkout'))} commits,"
        f" {_n(results.get('write_commits_per_checkout'))} that wrote",
        "",
    ]
    for row in results["statements_per_checkout"]:
        where = "top" if row["toplevel"] else "nested"
        lines.append(
            f"{row['per_checkout']:7.2f}  {row['database']:<12} {where:<6} {_shortened(row['query'])}"
        )
    return "\n".join(lines) + "\n"


def _shortened(query: str, head: int = 130, tail: int = 70) -> str:
    """A long statement's start and end: reads of the events table differ only in their WHERE."""
    return query if len(query) <= head + tail + 3 else f"{query[:head]} … {query[-tail:]}"
