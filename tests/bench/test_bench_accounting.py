"""The benchmark's bookkeeping without a stack: what replaced the polls (the stock ledger, the
`OrderCompleted` reader), the per-checkout arithmetic, and the monitor's one-pass /proc accounting.
A wrong rule here would pass or fail `make bench` for the wrong reason, so each is pinned."""

from __future__ import annotations

from bench import proc_table
from bench.completions import order_id_of
from bench.costs import CostSnapshot, per_checkout, requests_by_api, statements_per_checkout
from bench.hops import HOPS, Hop, Stamp, hop_latencies, hop_summaries
from bench.pg_counters import PgCounts, StatementKey, durable
from bench.processes import cpu_used
from bench.report import machine_busy_percent
from bench.service_metrics import counters
from bench.stock_ledger import Ledger
from devstack.proctable import families_in
from shared.contracts.envelope import Envelope
from shared.contracts.events import OrderCompleted
from shared.contracts.integration_event import CONTRACTS


def test_a_product_is_accounted_for_when_it_reads_initial_minus_shipped_and_nothing_allocated() -> None:
    ledger = Ledger("p", 100)
    for _ in range(3):
        ledger.begin()
        ledger.end(shipped=True)
    assert ledger.unaccounted(97, 0) == 0
    assert ledger.unaccounted(98, 0) == 1  # one shipment not deducted
    assert ledger.unaccounted(100, 0) == 3
    assert ledger.unaccounted(96, 0) == 1  # one unit gone that nothing shipped
    assert ledger.unaccounted(97, 2) == 2  # allocated by no running checkout


def test_a_failed_checkout_may_have_moved_one_unit_and_no_more() -> None:
    ledger = Ledger("p", 100)
    ledger.begin()
    ledger.end(shipped=True)
    ledger.begin()
    ledger.end(shipped=False)
    assert ledger.unaccounted(99, 0) == 0  # the failed one left no trace
    assert ledger.unaccounted(99, 1) == 0  # or kept its allocation
    assert ledger.unaccounted(98, 0) == 0  # or was deducted
    assert ledger.unaccounted(98, 1) == 1  # not both
    assert ledger.unaccounted(100, 0) == 1  # and the shipped one must still be deducted


def test_the_ledger_is_idle_only_when_no_checkout_runs() -> None:
    ledger = Ledger("p", 10)
    ledger.begin()
    ledger.begin()
    ledger.end(shipped=True)
    assert not ledger._idle.is_set()
    ledger.end(shipped=True)
    assert ledger._idle.is_set()
    assert (ledger.shipped, ledger.uncertain, ledger.in_flight) == (2, 0, 0)


def test_the_order_id_is_read_from_the_published_envelope() -> None:
    envelope = Envelope.of(
        OrderCompleted(order_id="order-1"), aggregate_id="order-1", producer="order", correlation_id="c"
    )
    assert order_id_of(envelope.to_json()) == "order-1"
    assert order_id_of(b'{"aggregate_id": "order-2", "data": {}}') == "order-2"
    assert order_id_of(b"not json") is None
    assert order_id_of(None) is None


def test_per_checkout_divides_each_counter_growth_by_the_completed_checkouts() -> None:
    before = CostSnapshot(
        PgCounts(1000, 10, 100, 1, 500, 7000),
        50,
        {"order": 10.0, "cart": 5.0},
        {"order": {"Fetch": 100.0, "Produce": 40.0}, "cart": {"Fetch": 30.0}},
    )
    after = CostSnapshot(
        PgCounts(3000, 10, 160, 3, 514, 7018),
        74,
        {"order": 40.0, "cart": 3.0},
        # the cart restarted (its counter from zero) and has sent its first heartbeat
        {"order": {"Fetch": 110.0, "Produce": 44.0}, "cart": {"Fetch": 6.0, "Heartbeat": 1.0}},
    )
    costs = per_checkout(before, after, 2)
    assert costs == {
        "sql_round_trips_per_checkout": 1000.0,
        "sql_nested_statements_per_checkout": 0.0,
        "commits_per_checkout": 30.0,
        "write_commits_per_checkout": 9.0,  # transaction ids handed out: the commits that wrote
        "rollbacks_per_checkout": 1.0,
        "wal_flushes_per_checkout": 7.0,
        "kafka_messages_per_checkout": 12.0,
        "kafka_requests_per_checkout": 10.5,  # (10 + 6 fetches, 4 produces, 1 heartbeat) / 2
        "kafka_requests_by_api_per_checkout": {"Fetch": 8.0, "Produce": 2.0, "Heartbeat": 0.5},
        "events_appended_per_checkout": 16.5,  # (30 + 3: the cart restarted, its counter from zero) / 2
    }


def test_per_checkout_leaves_out_what_was_not_measured() -> None:
    nothing = CostSnapshot(None, None, {})
    costs = per_checkout(nothing, nothing, 5)
    assert set(costs.values()) == {None}
    some = CostSnapshot(PgCounts(1, 0, 1, 0), 1, {"order": 1.0})
    assert set(per_checkout(some, some, 0).values()) == {None}  # no checkout, no ratio


def test_the_statement_breakdown_lists_each_statements_growth_per_checkout_most_frequent_first() -> None:
    read = StatementKey("order", True, "SELECT  *\n FROM events WHERE stream_id = $1")
    commit = StatementKey("order", True, "SELECT kernel_commit($1)")
    nested = StatementKey("order", False, "INSERT INTO events VALUES ($1)")
    idle = StatementKey("cart", True, "SELECT 1")
    before = {read: 10, commit: 4, idle: 7}
    after = {read: 16, commit: 12, nested: 20, idle: 7}  # nested: new (or evicted and back) since before
    assert statements_per_checkout(before, after, 4) == [
        {"database": "order", "toplevel": False, "per_checkout": 5.0, "query": nested.query},
        {"database": "order", "toplevel": True, "per_checkout": 2.0, "query": commit.query},
        {
            "database": "order",
            "toplevel": True,
            "per_checkout": 1.5,
            "query": "SELECT * FROM events WHERE stream_id = $1",
        },
    ]
    assert statements_per_checkout(before, after, 0) == []
    with_calls = CostSnapshot(PgCounts(1, 0, 1, 0, by_statement=after), 1, {})
    without = CostSnapshot(PgCounts(1, 0, 1, 0, by_statement=before), 1, {})
    assert per_checkout(without, with_calls, 4)["statements"][0]["per_checkout"] == 5.0
    not_asked = CostSnapshot(PgCounts(1, 0, 1, 0), 1, {})
    assert "statements" not in per_checkout(not_asked, not_asked, 4)


def test_durable_needs_fsync_synchronous_commit_and_full_pages() -> None:
    on = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}
    assert durable(on)
    assert durable({**on, "synchronous_commit": "local"})
    assert not durable({**on, "fsync": "off"})
    assert not durable({**on, "synchronous_commit": "off"})
    assert not durable({**on, "full_page_writes": "off"})
    assert not durable({})


def _proc(
    pid: int, ppid: int, pgid: int, start: int = 1, cpu: float = 0.0, zombie: bool = False
) -> proc_table.Proc:
    return proc_table.Proc(pid, ppid, pgid, start, cpu, 4096, zombie)


def test_a_stat_line_is_read_whatever_the_command_name() -> None:
    fields = ["S", "1", "10", "10", "0", "-1", "0", "0", "0", "0", "0"]
    fields += ["300", "200", "50", "50", "20", "0", "4", "0", "12345", "1000", "25"]
    raw = "42 (post gres: a) b) " + " ".join(fields) + " 0 0"
    proc = proc_table.parse_stat(42, raw)
    assert proc is not None
    assert (proc.pid, proc.ppid, proc.pgid, proc.start_time) == (42, 1, 10, 12345)
    assert proc.cpu_seconds == 600 / proc_table.TICKS
    assert proc.rss_bytes == 25 * proc_table.PAGE
    assert not proc.zombie
    assert proc_table.parse_stat(42, "42 (x) S 1") is None


def test_families_follow_groups_and_descendants_and_ignore_a_recycled_leader() -> None:
    table = {
        p.pid: p
        for p in (
            _proc(10, 1, 10, start=5),  # postmaster
            _proc(11, 10, 11),  # a backend in its own session
            _proc(12, 11, 11),  # its child
            _proc(13, 1, 10),  # reparented, still in the group
            _proc(14, 10, 14, zombie=True),
            _proc(20, 1, 20),  # someone else
        )
    }
    found = families_in(table, {"pg": (10, 5), "other": (20, None), "gone": (30, None), "reused": (10, 6)})
    assert found == {"pg": {10, 11, 12, 13}, "other": {20}, "gone": set(), "reused": set()}


def test_a_family_counts_newborns_from_birth_and_exited_members_once() -> None:
    previous = {10: (5, 100.0), 11: (6, 10.0), 12: (7, 4.0)}
    uptime_then = 50.0
    born = int(60 * proc_table.TICKS)
    table = {
        10: _proc(10, 1, 10, start=5, cpu=100.5 + 4.0),  # 0.5 s its own, and 12's 4 s once reaped
        11: _proc(11, 10, 10, start=6, cpu=11.0),  # 1 s
        13: _proc(13, 10, 10, start=born, cpu=0.25),  # born since the previous sample
    }
    used = cpu_used(table, {10, 11, 13}, previous, {10, 11, 12}, uptime_then)
    assert abs(used - (0.5 + 1.0 + 0.25)) < 1e-9
    # a recycled pid is another process: it counts from its birth, not from the old one's time
    table[11] = _proc(11, 10, 10, start=born + 1, cpu=3.0)
    assert abs(cpu_used(table, {11}, previous, {11}, 50.0) - 3.0) < 1e-9


def test_a_hop_runs_from_an_orders_first_source_to_its_first_target_after_it() -> None:
    hop = Hop("StockAllocated", ("PaymentAuthorized", "PaymentCaptured"), "payment answers")
    stamps = [
        Stamp("StockAllocated", "o1", 1000),
        Stamp("StockAllocated", "o1", 1030),  # the relay sent it again: the first send counts
        Stamp("PaymentCaptured", "o1", 1050),
        Stamp("PaymentAuthorized", "o1", 1012),
        Stamp("StockAllocated", "o2", 2000),
        Stamp("PaymentCaptured", "o2", 1990),  # before its source: not this hop's answer
        Stamp("PaymentCaptured", "o2", 2007),
        Stamp("StockAllocated", "o3", 3000),  # no answer read: no latency
        Stamp("PaymentCaptured", "o4", 4000),  # no source read: no latency
    ]
    latencies = hop_latencies(stamps, [hop])
    assert sorted(latencies[hop.name]) == [7.0, 12.0]
    assert hop_summaries(latencies)[hop.name]["count"] == 2
    assert hop_summaries({hop.name: []}) == {}, "a hop nobody took is left out, not reported as 0 ms"


def test_every_hop_is_between_two_integration_events_of_the_catalogue() -> None:
    for hop in HOPS:
        assert all(CONTRACTS.knows(event_type) for event_type in (hop.source, *hop.targets)), hop


def test_the_services_kafka_requests_are_read_in_all_and_per_api() -> None:
    text = (
        "# TYPE kafka_requests_total counter\n"
        'kafka_requests_total{api="Fetch"} 12.0\n'
        'kafka_requests_total{api="Produce"} 5.0\n'
        "# TYPE events_appended_total counter\n"
        "events_appended_total 7.0\n"
    )
    values = counters(text)
    assert values["kafka_requests_total"] == 17.0
    assert requests_by_api(values) == {"Fetch": 12.0, "Produce": 5.0}
    assert values["events_appended_total"] == 7.0


def test_the_machine_is_as_busy_as_every_processs_share_over_its_cores() -> None:
    processes = {
        "cart": {"cpu_percent_of_one_core_mean": 30.0, "rss_mb_max": 100.0},
        "postgres": {"cpu_percent_of_one_core_mean": 40.0, "rss_mb_max": 300.0},
        "load generator": {"cpu_percent_of_one_core_mean": 10.0, "rss_mb_max": 90.0},
        "rest of machine": {"cpu_percent_of_one_core_mean": 20.0, "rss_mb_max": 0.0},
    }
    # the load generator's and everyone else's cores are as taken as the stack's
    assert machine_busy_percent(processes, cores=2) == 50.0
    assert machine_busy_percent(processes, cores=4) == 25.0
    assert machine_busy_percent({}, cores=2) is None
    assert machine_busy_percent(processes, cores=0) is None
