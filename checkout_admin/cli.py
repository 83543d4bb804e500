"""The `checkout-admin` command line: one entry point, `--help` on every command."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import asyncpg
from aiokafka.errors import KafkaError

from checkout_admin import (
    catalogue,
    dlq_command,
    offsets_command,
    privacy_command,
    projections,
    replay_command,
    republish,
    schemas,
    streams,
    webhooks_command,
)
from checkout_admin.config import DATABASE_URL, KAFKA_BOOTSTRAP_SERVERS, StackConfig
from checkout_admin.connections import Unreachable
from checkout_admin.output import Column, emit, to_json
from shared.http.dates import utc_end, utc_start

_LOST: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    KafkaError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
)

_STATUS = (
    Column("service", 12),
    Column("projection", 14),
    Column("checkpoint", 22),
    Column("behind", 7, right=True),
)
_STREAM = (
    Column("occurred_at", 23, limit=23),
    Column("service", 12),
    Column("stream_id", 40, limit=40),
    Column("version", 4),
    Column("event_type", 28),
    Column("summary"),
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="checkout-admin",
        description="Operate a running checkout platform: projections, replay, dead letters, streams. "
        "Reads DATABASE_URL (the PostgreSQL server), KAFKA_BOOTSTRAP_SERVERS and TOPIC_PREFIX; those not "
        "set come from the stack `make start` runs here (.devstack/state.json; `make env` prints them). "
        "Exits 1 when a server does not answer, naming the variable that points at it.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    proj = commands.add_parser("projections", help="read models: list, status, rebuild")
    proj_commands = proj.add_subparsers(dest="action", required=True)
    proj_commands.add_parser("list", help="every projection of every service with its checkpoint")
    status = proj_commands.add_parser("status", help="how far behind the event log each projection is")
    status.add_argument("service", nargs="?", help="only this service")
    status.add_argument("--json", action="store_true", help="print JSON instead of a table")
    rebuild = proj_commands.add_parser(
        "rebuild", help="rebuild a read model beside the live one and swap it in"
    )
    rebuild.add_argument("service")
    rebuild.add_argument("projection")
    rebuild.add_argument(
        "--dry-run", action="store_true", help="count the events it would fold, change nothing"
    )
    rebuild.add_argument("--json", action="store_true", help="print JSON instead of a line")

    replay_command.add_to(commands)

    again = commands.add_parser(
        "republish",
        help="publish a topic's history again from its producers' stores (same event ids, keys, envelopes)",
    )
    again.add_argument("topic", nargs="?", help="topic name (without the prefix); every topic if left out")
    again.add_argument("--since", type=utc_start, help="first publication time included (ISO 8601)")
    again.add_argument(
        "--until", type=utc_end, help="publication time to stop before (ISO 8601; a date includes its day)"
    )
    again.add_argument("--order", dest="order_id", help="only this order's messages (their key)")
    again.add_argument("--dry-run", action="store_true", help="only count what would be published")
    again.add_argument("--json", action="store_true", help="print the counts as JSON")

    dlq_command.add_to(commands)
    offsets_command.add_to(commands)
    webhooks_command.add_to(commands)

    catalogue = commands.add_parser(
        "catalogue", help="print the event catalogue generated from the contracts"
    )
    catalogue.add_argument("--write-readme", action="store_true", help="replace the catalogue in README.md")

    docs = commands.add_parser(
        "schemas", help="the AsyncAPI and OpenAPI documents under docs/, generated from the code"
    )
    docs_mode = docs.add_mutually_exclusive_group(required=True)
    docs_mode.add_argument("--write", action="store_true", help="regenerate the committed documents")
    docs_mode.add_argument(
        "--check", action="store_true", help="exit 1 with a diff summary when they differ from the code"
    )
    docs.add_argument("--root", type=Path, default=schemas.ROOT, help="the repository (default: this one)")

    privacy = commands.add_parser("privacy", help="the keys personal data is sealed under")
    privacy_commands = privacy.add_subparsers(dest="action", required=True)
    privacy_commands.add_parser(
        "rotate", help="rewrap every key under the first key of PII_MASTER_KEY (no event changes)"
    )

    stream = commands.add_parser("streams", help="events of one order across every service")
    stream_commands = stream.add_subparsers(dest="action", required=True)
    show = stream_commands.add_parser("show", help="every event of one order, in time order")
    show.add_argument("order_id")
    show.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parser


async def _run(args: argparse.Namespace, config: StackConfig) -> int:
    if args.command == "projections":
        if args.action == "rebuild":
            return await _rebuild(args, config)
        rows = await projections.statuses(config, getattr(args, "service", None))
        found = [
            {
                "service": r.service,
                "projection": r.projection,
                "checkpoint": str(r.checkpoint),
                "behind": r.behind,
            }
            for r in rows
        ]
        emit(found, _STATUS, as_json=getattr(args, "json", False))
        return 0
    if args.command == "replay":
        return await replay_command.run(args, config)
    if args.command == "republish":
        chosen = republish.Selection(args.topic, args.since, args.until, args.order_id)
        sent = await republish.republish(config, chosen, dry_run=args.dry_run)
        print(republish.render(sent, as_json=args.json))
        return 0
    if args.command == "dlq":
        return await dlq_command.run(args, config)
    if args.command == "offsets":
        return await offsets_command.run(args, config)
    if args.command == "webhooks":
        return await webhooks_command.run(args, config)
    if args.command == "streams":
        events = await streams.order_history(config, args.order_id)
        if not events:
            print(f"no events of order {args.order_id} in any service's store", file=sys.stderr)
            return 1
        story = [
            {
                "occurred_at": e.occurred_at.isoformat(),
                "service": e.service,
                "stream_id": e.stream_id,
                "version": e.version,
                "event_type": e.event_type,
                "summary": streams.summary(e),
                "data": e.data,
            }
            for e in events
        ]
        # no heading: one line per event, as scripts before --json read it
        emit(story, _STREAM, as_json=args.json, footer=f"{len(events)} events", header=False)
        return 0
    return 2


async def _rebuild(args: argparse.Namespace, config: StackConfig) -> int:
    if args.dry_run:
        plan = await projections.plan_rebuild(config, args.service, args.projection)
        if args.json:
            print(to_json({**asdict(plan), "live_checkpoint": str(plan.live_checkpoint)}))
        else:
            print(
                f"would rebuild {plan.service}/{plan.projection}: {plan.events} events to read, "
                f"{plan.events_to_fold} to fold (the live model is at {plan.live_checkpoint}); no change"
            )
        return 0
    report = await projections.rebuild(config, args.service, args.projection)
    if args.json:
        print(
            to_json(
                {
                    "service": args.service,
                    "projection": report.projection,
                    "events": report.events,
                    "seconds": round(report.seconds, 3),
                    "position": str(report.position),
                }
            )
        )
    else:
        print(
            f"rebuilt {args.service}/{report.projection}: {report.events} events in "
            f"{report.seconds:.2f}s ({report.events_per_second:,.0f} events/s), now at {report.position}"
        )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "catalogue":
        if args.write_readme:
            readme = Path("README.md")
            readme.write_text(catalogue.replace_in(readme.read_text()))
        else:
            print(catalogue.markdown())
        return 0
    if args.command == "schemas":
        return _schemas(args.root, write=args.write)
    if args.command == "privacy":
        return privacy_command.rotate()
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # its connection errors become ours
    config = StackConfig.from_environment()
    try:
        return asyncio.run(_run(args, config))
    except Unreachable as exc:
        print(f"checkout-admin: {exc}", file=sys.stderr)
    except _LOST as exc:  # a server that answered at first went away in the middle
        print(
            f"checkout-admin: lost a server in the middle ({type(exc).__name__}: {exc}); "
            f"{DATABASE_URL}={config.database_server} ({config.origin(DATABASE_URL).text}), "
            f"{KAFKA_BOOTSTRAP_SERVERS}={config.kafka} ({config.origin(KAFKA_BOOTSTRAP_SERVERS).text})",
            file=sys.stderr,
        )
    return 1


def _schemas(root: Path, *, write: bool) -> int:
    if write:
        changed = schemas.write(root)
        print("\n".join(f"wrote {path}" for path in changed) or "API documents already up to date")
        return 0
    problems = schemas.drift(schemas.generate(root), schemas.committed(root))
    if problems:
        print(schemas.summary(problems), file=sys.stderr)
        return 1
    print("API documents match the code")
    return 0


if __name__ == "__main__":
    sys.exit(main())
