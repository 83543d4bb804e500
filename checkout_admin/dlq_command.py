"""The `dlq` command's arguments and what it prints (the work is in `dead_letters`)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from checkout_admin import dead_letters
from checkout_admin.config import StackConfig
from checkout_admin.output import Column, emit
from checkout_admin.progress import Progress
from shared.http.dates import utc_end, utc_start

_LISTED = (
    Column("ref", 10),
    Column("source_topic", 28),
    Column("consumer", 12),
    Column("failed_at", 19, limit=19),
    Column("reason", limit=90),
)


def add_to(commands: Any) -> None:
    dlq = commands.add_parser("dlq", help="dead letters: list, show, retry, discard")
    actions = dlq.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="dead letters not yet retried or discarded")
    _filters(listing)
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    show = actions.add_parser("show", help="headers and payload of one letter")
    show.add_argument("ref", help="PARTITION:OFFSET as `dlq list` prints it")
    for name, text in (
        ("retry", "put letters back on their topic, for the consumer that dead-lettered each"),
        ("discard", "mark letters handled without retrying them"),
    ):
        sub = actions.add_parser(
            name,
            help=text,
            description=f"{text}: one letter by its ref, or every pending one a filter selects",
        )
        sub.add_argument("ref", nargs="?", help="PARTITION:OFFSET as `dlq list` prints it")
        _filters(sub)
        sub.add_argument("--dry-run", action="store_true", help="count and list the letters, change nothing")
        sub.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--consumer", help="only letters this consumer dead-lettered, e.g. cart")
    parser.add_argument("--source-topic", help="only letters from this topic, e.g. ProductPublished")
    parser.add_argument("--reason", help="only letters whose reason contains this text (any case)")
    parser.add_argument("--since", type=utc_start, help="only letters dead-lettered at or after (ISO 8601)")
    parser.add_argument("--until", type=utc_end, help="only letters dead-lettered before (ISO 8601)")


def _chosen(args: argparse.Namespace) -> dead_letters.LetterFilter:
    return dead_letters.LetterFilter(args.consumer, args.source_topic, args.reason, args.since, args.until)


async def run(args: argparse.Namespace, config: StackConfig) -> int:
    if args.action == "list":
        letters = await dead_letters.matching(config, _chosen(args))
        rows = [d.row() for d in letters]
        emit(rows, _LISTED, as_json=args.json, footer=f"{len(letters)} dead letter(s) pending")
        return 0
    if args.action == "show":
        letter = await dead_letters.find(config, args.ref)
        for name, value in sorted(letter.headers.items()):
            print(f"{name}: {value.decode(errors='replace')}")
        print(f"key: {(letter.key or b'').decode(errors='replace')}")
        print(letter.value.decode(errors="replace"))
        return 0
    chosen = _chosen(args)
    if args.ref is not None:
        if not chosen.empty:
            raise SystemExit(f"checkout-admin: dlq {args.action} takes a ref or filters, not both")
        if not args.dry_run:
            action = dead_letters.retry if args.action == "retry" else dead_letters.discard
            letter = await action(config, args.ref)
            print(f"{args.action} {letter.ref} ({letter.header('dlq.original_topic')})")
            return 0
        letters = [await dead_letters.find(config, args.ref)]
    elif chosen.empty:
        raise SystemExit(
            f"checkout-admin: dlq {args.action} needs a ref or a filter "
            "(--consumer, --source-topic, --reason, --since, --until)"
        )
    else:
        letters = await dead_letters.matching(config, chosen)
    verb = f"would {args.action}" if args.dry_run else args.action
    print(f"{verb} {len(letters)} dead letter(s)", file=sys.stderr if args.json else sys.stdout)
    if not args.dry_run and letters:
        progress = Progress(f"dlq {args.action}", len(letters))
        await dead_letters.handle_all(
            config, letters, args.action, lambda _: progress.update(progress.count + 1)
        )
        progress.finish()
    emit(
        [d.row() for d in letters], _LISTED, as_json=args.json, footer=f"{verb} {len(letters)} dead letter(s)"
    )
    return 0
