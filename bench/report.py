"""The results: one dict (written as bench/results.json) and the table printed at the end."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from bench.monitor import Series
from bench.processes import BENCH, OTHERS
from bench.ramp import StepWindow
from bench.recorder import Recorder
from bench.stats import percentile, summary

TARGETS = {
    "checkouts_per_second": 150.0,
    "p99_http_ms": 100.0,
    "p99_capture_to_complete_ms": 250.0,
    "max_service_rss_mb": 150.0,
}


def _step(recorder: Recorder, index: int, window: StepWindow) -> dict[str, Any]:
    seconds = max(window.end - window.start, 0.001)
    done = [c for c in recorder.completions if window.start <= c.at < window.end]
    http = [lat.ms for lat in recorder.latencies if window.start <= lat.at < window.end]
    return {
        "step": index + 1,
        "concurrency": window.concurrency,
        "seconds": round(seconds, 1),
        "completed": len(done),
        "checkouts_per_second": round(len(done) / seconds, 1),
        "http_ms": summary(http),
        "checkout_to_complete_ms": summary([c.checkout_to_complete_ms for c in done]),
        "capture_to_complete_ms": summary([c.capture_to_complete_ms for c in done]),
        "errors": sum(1 for f in recorder.failures if f.step == index),
    }


def _processes(series: Series, window: StepWindow) -> dict[str, dict[str, float]]:
    """Mean CPU share and peak RSS per process during the sustained step."""
    cpu: dict[str, list[float]] = defaultdict(list)
    rss: dict[str, list[float]] = defaultdict(list)
    for sample in series.processes:
        if window.start <= sample.at <= window.end:
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


def build_results(
    recorder: Recorder,
    windows: list[StepWindow],
    series: Series,
    hot: dict[str, Any] | None,
    machine: dict[str, Any],
    services: list[str],
) -> dict[str, Any]:
    steps = [_step(recorder, i, w) for i, w in enumerate(windows)]
    top = windows[-1] if windows else StepWindow(0, 0.0, 0.0)
    top_step = steps[-1] if steps else _step(recorder, 0, top)
    in_top = [lat for lat in recorder.latencies if top.start <= lat.at < top.end]
    by_endpoint: dict[str, list[float]] = defaultdict(list)
    for lat in in_top:
        by_endpoint[lat.endpoint].append(lat.ms)
    processes = _processes(series, top)
    events = [sum(m.events_per_second.values()) for m in series.metrics if top.start <= m.at <= top.end]
    published = [sum(m.published_per_second.values()) for m in series.metrics if top.start <= m.at <= top.end]
    lags = [sum(s.lag.values()) for s in series.lag if top.start <= s.at <= top.end]
    service_rss = {name: p["rss_mb_max"] for name, p in processes.items() if name in services}
    rate = top_step["checkouts_per_second"]
    cpu_per_checkout = {
        name: round(p["cpu_percent_of_one_core_mean"] * 10 / rate, 1)
        for name, p in processes.items()
        if name != OTHERS and rate > 0
    }
    results: dict[str, Any] = {
        "checkouts_per_second": top_step["checkouts_per_second"],
        "concurrency": top.concurrency,
        "sustained_seconds": top_step["seconds"],
        "completed": len(recorder.completions),
        "completed_in_sustained_step": top_step["completed"],
        "p50_http_ms": round(percentile([lat.ms for lat in in_top], 50), 1),
        "p99_http_ms": round(percentile([lat.ms for lat in in_top], 99), 1),
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
        "stack_cpu_ms_per_checkout": round(sum(v for k, v in cpu_per_checkout.items() if k != BENCH), 1),
        "events_appended_per_checkout": round(sum(events) / len(events) / rate, 1)
        if events and rate
        else None,
        "kafka_messages_per_checkout": round(sum(published) / len(published) / rate, 1)
        if published and rate
        else None,
        "steps": steps,
        "endpoints_ms": {name: summary(values) for name, values in sorted(by_endpoint.items())},
        "processes": processes,
        "cpu_of_rest_of_machine_percent": processes.get(OTHERS, {}).get("cpu_percent_of_one_core_mean"),
        "cpu_of_load_generator_percent": processes.get(BENCH, {}).get("cpu_percent_of_one_core_mean"),
        "hot_product": hot,
        "machine": machine,
        "targets": TARGETS,
    }
    results["targets_met"] = {
        "checkouts_per_second": results["checkouts_per_second"] >= TARGETS["checkouts_per_second"],
        "p99_http_ms": results["p99_http_ms"] < TARGETS["p99_http_ms"],
        "p99_capture_to_complete_ms": results["p99_capture_to_complete_ms"]
        < TARGETS["p99_capture_to_complete_ms"],
        "max_service_rss_mb": results["max_service_rss_mb"] < TARGETS["max_service_rss_mb"],
        "errors": results["errors"] == 0,
    }
    return results


def table(results: dict[str, Any]) -> str:
    """The printed summary: the ramp, the endpoints, the processes, the hot product, the verdicts."""
    lines = [
        "step  shoppers  seconds  checkouts/s  http p50/p99 ms  checkout->complete p50/p99 ms"
        "  capture->complete p50/p99 ms  errors"
    ]
    for s in results["steps"]:
        lines.append(
            f"{s['step']:>4}  {s['concurrency']:>8}  {s['seconds']:>7}  {s['checkouts_per_second']:>11}"
            f"  {s['http_ms']['p50']:>7}/{s['http_ms']['p99']:<7}"
            f"  {s['checkout_to_complete_ms']['p50']:>14}/{s['checkout_to_complete_ms']['p99']:<14}"
            f"  {s['capture_to_complete_ms']['p50']:>13}/{s['capture_to_complete_ms']['p99']:<14}"
            f"  {s['errors']:>6}"
        )
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
        " of CPU per completed checkout; 150 checkouts/s on 2 cores leave it about 13 ms"
    )
    lines.append("* PSS summed over the processes for a server that runs several (PostgreSQL)")
    lines.append(
        f"per completed checkout: {results['events_appended_per_checkout']} events appended,"
        f" {results['kafka_messages_per_checkout']} Kafka messages published"
        f" ({results['events_appended_per_second_mean']} events/s,"
        f" {results['kafka_messages_published_per_second_mean']} messages/s)"
    )
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
        f" {'met' if met['checkouts_per_second'] else 'MISSED'}",
        f"p99 HTTP {results['p99_http_ms']} ms (target < {t['p99_http_ms']:.0f}):"
        f" {'met' if met['p99_http_ms'] else 'MISSED'}",
        f"p99 capture->complete {results['p99_capture_to_complete_ms']} ms (target < "
        f"{t['p99_capture_to_complete_ms']:.0f}): {'met' if met['p99_capture_to_complete_ms'] else 'MISSED'}",
        f"max service RSS {results['max_service_rss_mb']} MB (target < {t['max_service_rss_mb']:.0f}):"
        f" {'met' if met['max_service_rss_mb'] else 'MISSED'}",
        f"errors {results['errors']} (must be 0): {'met' if met['errors'] else 'MISSED'}",
    ]
    for kind, count in list(results["error_kinds"].items())[:10]:
        lines.append(f"  {count} x {kind}")
    m = results["machine"]
    lines.append(
        f"machine: {m['cpu_model']}, {m['cores']} cores, {m['ram_gb']} GB, Python {m['python']};"
        f" rest of machine used {results['cpu_of_rest_of_machine_percent']} % of one core on average"
    )
    return "\n".join(lines)
