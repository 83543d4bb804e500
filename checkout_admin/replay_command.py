"""The `replay` command's arguments and what it prints: topics' history from an offset or a time
(`replay`), or one order's messages from Kafka or the stores (`order_replay`)."""

from __future__ import annotations

import argparse
from typing import Any

from checkout_admin import order_replay, replay
from checkout_admin.config import StackConfig
from checkout_admin.output import to_json
from shared.http.dates import utc_start


def add_to(commands: Any) -> None:
    rep = commands.add_parser(
        "replay", help="feed a topic's history, or one order's messages, into a service's consumer again"
    )
    rep.add_argument(
        "topic",
        nargs="*",
        help="topic names (without the prefix), e.g. CartCheckedOut, replayed one after another "
        "(default: every topic the service consumes); with --order: only these topics",
    )
    rep.add_argument("--to", dest="service", required=True, help="the consuming service, e.g. order")
    where = rep.add_mutually_exclusive_group()
    where.add_argument(
        "--from-offset", type=int, default=None, help="start at this offset in every partition"
    )
    where.add_argument(
        "--from-time", type=utc_start, default=None, help="ISO 8601 time to start at (no offset: UTC)"
    )
    rep.add_argument(
        "--order", dest="order_id", help="only this order's messages (their key), in publication order"
    )
    rep.add_argument(
        "--from",
        dest="source",
        choices=order_replay.SOURCES,
        default=None,
        help="with --order: read them from Kafka (default) or from the producers' outbox_history",
    )
    rep.add_argument("--dry-run", action="store_true", help="only count what would be applied")
    rep.add_argument("--json", action="store_true", help="print the counts as JSON")


async def run(args: argparse.Namespace, config: StackConfig) -> int:
    if args.order_id is not None:
        if args.from_offset is not None or args.from_time is not None:
            raise SystemExit(
                "replay --order reads every message of the order: no --from-offset or --from-time"
            )
        report = await order_replay.replay_order(
            config,
            args.order_id,
            args.service,
            source=args.source or "kafka",
            topics=args.topic,
            dry_run=args.dry_run,
        )
        order_replay.show(report, as_json=args.json)
        return 0
    if args.source is not None:
        raise SystemExit("--from goes with --order; a topic's replay reads Kafka")
    reports = await replay.replay(
        config,
        args.topic,
        args.service,
        from_offset=args.from_offset,
        from_time=args.from_time,
        dry_run=args.dry_run,
    )
    several = len(args.topic) != 1
    for full, result in reports.items():
        topic = full.removeprefix(config.topic_prefix)
        if args.json:  # JSON Lines: an object per topic
            print(to_json(_as_json(topic, args, result), one_line=True))
            continue
        verb = "would apply" if args.dry_run else "applied"
        line = (
            f"{result.messages} messages read, {result.already_applied} already applied, "
            f"{verb} {result.messages - result.already_applied} in {result.seconds:.2f}s"
        )
        print(f"{line}  {topic}" if several else line)
    return 0


def _as_json(topic: str, args: argparse.Namespace, result: replay.ReplayReport) -> dict[str, Any]:
    return {
        "topic": topic,
        "service": args.service,
        "dry_run": args.dry_run,
        "messages": result.messages,
        "already_applied": result.already_applied,
        "applied": 0 if args.dry_run else result.applied,
        "would_apply": result.messages - result.already_applied if args.dry_run else 0,
        "seconds": round(result.seconds, 3),
    }
