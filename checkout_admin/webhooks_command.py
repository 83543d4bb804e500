"""The `webhooks` command's arguments and what it prints (the work is in `webhooks`)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from checkout_admin import webhooks
from checkout_admin.config import StackConfig
from checkout_admin.output import Column, emit
from checkout_admin.progress import Progress
from services.payment.adapters.webhook_deliveries import Outcome
from shared.http.dates import utc_start

_LISTED = (
    Column("delivery", 8, right=True),
    Column("received_at", 19, limit=19),
    Column("event_id", 30, limit=30),
    Column("type", 34, limit=34),
    Column("signature", 9),
    Column("outcome", 9),
    Column("changed", 7),
    Column("retry_of", 8),
    Column("settled_by", 10),
    Column("detail", limit=80),
)
_RETRIED = (
    Column("delivery", 8, right=True),
    Column("retry_of", 8, right=True),
    Column("event_id", 30, limit=30),
    Column("type", 34, limit=34),
    Column("outcome", 9),
    Column("changed", 7),
    Column("detail", limit=80),
)
_WOULD = (
    Column("delivery", 8, right=True),
    Column("received_at", 19, limit=19),
    Column("event_id", 30, limit=30),
    Column("type", 34, limit=34),
    Column("outcome", 9),
)
DEFAULT_LIMIT = 100


def add_to(commands: Any) -> None:
    hooks = commands.add_parser("webhooks", help="incoming Stripe webhooks: list, retry")
    actions = hooks.add_subparsers(dest="action", required=True)
    listing = actions.add_parser(
        "list", help="recorded deliveries: id, type, signature, outcome (newest last)"
    )
    listing.add_argument("--outcome", choices=[o.value for o in Outcome], help="only deliveries with it")
    listing.add_argument("--since", type=utc_start, help="only deliveries received at or after (ISO 8601)")
    listing.add_argument(
        "--limit", type=int, default=DEFAULT_LIMIT, help=f"the newest N that match (default {DEFAULT_LIMIT})"
    )
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    again = actions.add_parser(
        "retry",
        help="apply a recorded verified event again (a no-op if it was applied since)",
        description="apply recorded verified events again through the payment service's code, against "
        "its database, recording each attempt: one delivery by its number, or with --failed every "
        "failed event no later delivery has applied",
    )
    which = again.add_mutually_exclusive_group(required=True)
    which.add_argument("delivery", nargs="?", type=int, help="the delivery number `webhooks list` prints")
    which.add_argument("--failed", action="store_true", help="every failed event not applied since")
    again.add_argument("--dry-run", action="store_true", help="list what would be retried, change nothing")
    again.add_argument("--json", action="store_true", help="print JSON instead of a table")


async def run(args: argparse.Namespace, config: StackConfig) -> int:
    if args.action == "list":
        outcome = None if args.outcome is None else Outcome(args.outcome)
        found = await webhooks.deliveries(config, outcome=outcome, since=args.since, limit=args.limit)
        rows = [d.row() for d in found]
        noun = "delivery" if len(found) == 1 else "deliveries"
        shown = rows if args.json else [_shown(row) for row in rows]
        emit(
            shown, _LISTED, as_json=args.json, footer=f"{len(found)} {noun} (the newest {args.limit} at most)"
        )
        return 0
    chosen = await webhooks.chosen(config, None if args.failed else args.delivery)
    verb = "would retry" if args.dry_run else "retry"
    print(
        f"{verb} {len(chosen)} webhook deliver{'y' if len(chosen) == 1 else 'ies'}",
        file=sys.stderr if args.json else sys.stdout,
    )
    if args.dry_run:
        emit([d.row() for d in chosen], _WOULD, as_json=args.json)
        return 0
    progress = Progress("webhooks retry", len(chosen))
    done = await webhooks.retry(config, chosen, lambda _: progress.update(progress.count + 1))
    progress.finish()
    rows = [r.row() for r in done]
    emit(rows if args.json else [_changed(row) for row in rows], _RETRIED, as_json=args.json)
    return 1 if any(r.error for r in done) else 0


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    """The table's cells: the signature as ok/bad, and blanks where the JSON has null or false."""
    return {**_changed(row), "signature": "ok" if row["signature_ok"] else "bad"}


def _changed(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "changed": "yes" if row["changed"] else ""}
