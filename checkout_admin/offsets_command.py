"""The `offsets` command's arguments and what it prints (the work is in `group_offsets`)."""

from __future__ import annotations

import argparse
from typing import Any

from checkout_admin import group_offsets
from checkout_admin.config import StackConfig
from checkout_admin.output import Column, emit, emit_object

_SHOWN = (
    Column("topic", 32),
    Column("partition", 9, right=True),
    Column("committed", 10, right=True),
    Column("end", 10, right=True),
    Column("lag", 8, right=True),
)
_PLANNED = (
    Column("topic", 32),
    Column("partition", 9, right=True),
    Column("current", 10, right=True),
    Column("planned", 10, right=True),
)


def add_to(commands: Any) -> None:
    offsets = commands.add_parser("offsets", help="a consumer group's offsets: show, reset")
    actions = offsets.add_subparsers(dest="action", required=True)
    show = actions.add_parser("show", help="committed offset, end offset and lag per partition; live members")
    show.add_argument("group", help="the group, with or without the topic prefix, e.g. order")
    show.add_argument("--json", action="store_true", help="print JSON instead of a table")
    reset = actions.add_parser(
        "reset", help="move the group's committed offsets (refused while it has live members)"
    )
    reset.add_argument("group", help="the group, with or without the topic prefix, e.g. order")
    reset.add_argument(
        "--to",
        dest="target",
        nargs="+",
        required=True,
        metavar="WHERE",
        help="earliest, latest, an ISO 8601 time (no offset: UTC) or TOPIC:PARTITION=OFFSET ...",
    )
    reset.add_argument("--topic", help="only this topic's partitions (earliest, latest, a time)")
    reset.add_argument("--force", action="store_true", help="reset although the group has live members")
    reset.add_argument("--dry-run", action="store_true", help="print the planned offsets, change nothing")
    reset.add_argument("--json", action="store_true", help="print JSON instead of a table")


async def run(args: argparse.Namespace, config: StackConfig) -> int:
    current = await group_offsets.show(config, args.group)
    if args.action == "show":
        rows = [
            {"topic": p.topic, "partition": p.partition, "committed": p.committed, "end": p.end, "lag": p.lag}
            for p in current.partitions
        ]
        if args.json:
            emit_object(_summary(current) | {"partitions": rows}, "", as_json=True)
            return 0
        print(f"group {current.group}: {current.state}, {_members(current)}")
        emit(rows, _SHOWN, as_json=False, footer=f"total lag {sum(p.lag for p in current.partitions)}")
        return 0
    target = group_offsets.parse_target(args.target, config.topic_prefix)
    if current.live and not args.force:
        raise SystemExit(group_offsets.refusal(current))
    planned = await group_offsets.plan(config, current, target, args.topic)
    if not args.dry_run:
        await group_offsets.commit(config, current.group, planned)
    rows = [
        {"topic": p.topic, "partition": p.partition, "current": p.current, "planned": p.planned}
        for p in planned
    ]
    verb = "would reset" if args.dry_run else "reset"
    if args.json:
        emit_object(_summary(current) | {"dry_run": args.dry_run, "offsets": rows}, "", as_json=True)
        return 0
    emit(rows, _PLANNED, as_json=False, footer=f"{verb} {current.group}: {len(rows)} partition(s)")
    return 0


def _summary(current: group_offsets.GroupOffsets) -> dict[str, Any]:
    return {"group": current.group, "state": current.state, "live": current.live, "members": current.members}


def _members(current: group_offsets.GroupOffsets) -> str:
    if not current.live:
        return "no live members"
    return f"{len(current.members)} live member(s): {', '.join(current.members)}"
