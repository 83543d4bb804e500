"""The "Walkthrough by hand" (docs/walkthrough.md, linked from the README): its shell blocks, the answer
each one promises, and the bash program that runs them in order and checks every answer.

Strict on purpose, so the walkthrough cannot drift: inside the section every fenced block is ```sh, and its
last line is its marker, ``# → [eventually] STATUS JQ-TEST``: the HTTP status of the block's one
request and a jq test its answer passes (``jq -e``). A block without a marker, a malformed or misplaced
marker, another kind of fence or an unclosed one is an error, not a skipped step.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

SECTION = "# Walkthrough by hand"
"""The page's title: the section runs from it to the next heading of level 1 to 3."""
MARKER = re.compile(r"^# → (?P<eventually>eventually )?(?P<status>[1-5]\d\d) (?P<check>\S.*)$")
WRITES = re.compile(r"(?:^|\s)(?:-X|--request|-d|--data\S*|--json|-F|--form|-T|--upload-file)(?:\s|=|$)")
RETRY_SECONDS = 60


class WalkthroughError(ValueError):
    """The walkthrough section breaks the format the test reads (named line and why)."""


@dataclass(frozen=True)
class Step:
    """One ```sh block: its commands verbatim and the answer its marker promises."""

    number: int
    line: int  # the walkthrough page's line of the opening fence
    commands: str
    status: int
    check: str
    eventually: bool  # the answer waits on an event crossing Kafka: send it again until it holds

    @property
    def writes(self) -> bool:
        """Whether the request changes something (then it is sent again only after a refusal)."""
        return WRITES.search(self.commands) is not None

    @property
    def first_line(self) -> str:
        return self.commands.strip().splitlines()[0]


def section(page: str) -> list[tuple[int, str]]:
    """The section's lines with their line numbers in the page, up to the next heading of level 1 to 3."""
    lines = page.splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip() == SECTION]
    if len(starts) != 1:
        raise WalkthroughError(f"the page has {len(starts)} {SECTION!r} headings, not one")
    found = []
    fenced = False  # a shell comment in a block is no heading
    for i in range(starts[0] + 1, len(lines)):
        fenced ^= lines[i].startswith("```")
        if not fenced and re.match(r"^#{1,3} ", lines[i]):
            break
        found.append((i + 1, lines[i]))
    return found


def steps(page: str) -> list[Step]:
    """Every block of the section, in order, with its marker; WalkthroughError when the format breaks."""
    found: list[Step] = []
    block: list[str] | None = None
    opened = 0
    for number, line in section(page):
        if block is None:
            if line.startswith("```"):
                if line.strip() != "```sh":
                    raise WalkthroughError(
                        f"walkthrough line {number}: only ```sh blocks belong here: {line!r}"
                    )
                block, opened = [], number
            elif "# →" in line:
                raise WalkthroughError(f"walkthrough line {number}: a marker outside a block: {line!r}")
            continue
        if line.strip() == "```":
            found.append(_step(len(found) + 1, opened, block))
            block = None
        elif line.startswith("```"):
            raise WalkthroughError(f"walkthrough line {number}: a fence inside a block: {line!r}")
        else:
            block.append(line)
    if block is not None:
        raise WalkthroughError(f"walkthrough line {opened}: the block is never closed")
    if not found:
        raise WalkthroughError(f"{SECTION!r} has no ```sh blocks")
    return found


def _step(number: int, line: int, block: list[str]) -> Step:
    body = [text for text in block if text.strip()]
    if not body:
        raise WalkthroughError(f"walkthrough line {line}: an empty block")
    *commands, last = body
    for text in commands:
        if "# →" in text:
            raise WalkthroughError(
                f"walkthrough line {line}: the marker must be the block's last line: {text!r}"
            )
    marker = MARKER.match(last.strip())
    if marker is None:
        raise WalkthroughError(
            f"walkthrough line {line}: the block must end with '# → [eventually] STATUS JQ-TEST', "
            f"not {last!r}"
        )
    if not commands:
        raise WalkthroughError(f"walkthrough line {line}: a marker and no command")
    return Step(
        number=number,
        line=line,
        commands="\n".join(commands),
        status=int(marker["status"]),
        check=marker["check"].strip(),
        eventually=marker["eventually"] is not None,
    )


PRELUDE = r"""set -euo pipefail
# Each curl also notes its HTTP status (on stderr, into a file) and keeps a copy of its answer; the
# commands themselves run as the walkthrough has them.
curl() {
  command curl --write-out '%{stderr}walk-status %{http_code}\n' "$@" 2>>"$WALK_DIR/status" \
    | tee "$WALK_DIR/body"
}
walk_begin() { : >"$WALK_DIR/status"; : >"$WALK_DIR/body"; echo "walk-start $1" >>"$WALK_DIR/log"; }
walk_judge() {  # step, status, jq test
  local calls
  calls=$(grep -c '^walk-status ' "$WALK_DIR/status" || true)
  WALK_GOT=$(sed -n 's/^walk-status //p' "$WALK_DIR/status" | tail -n 1)
  if [ "$calls" != 1 ]; then WALK_WHY="it made $calls requests, not one"; return 1; fi
  if [ "$WALK_GOT" != "$2" ]; then WALK_WHY="it answered $WALK_GOT, not $2"; return 1; fi
  if ! jq -e "$3" <"$WALK_DIR/body" >/dev/null 2>&1; then
    WALK_WHY="its answer fails the test $3"
    return 1
  fi
  echo "walk-step $1 ok $WALK_GOT" >>"$WALK_DIR/log"
}
walk_again() {  # step, eventually (0/1), writes (0/1), deadline: send it again, or fail
  if [ "$2" = 1 ] && [ "$SECONDS" -lt "$4" ] && { [ "$3" = 0 ] || [[ "$WALK_GOT" == 4?? ]]; }; then
    sleep 0.5
    return 0
  fi
  { echo "walk-step $1 FAILED: $WALK_WHY"; echo "its answer:"; cat "$WALK_DIR/body"; echo; } >>"$WALK_DIR/log"
  exit 1
}
"""


def program(walk: list[Step]) -> str:
    """Bash running every step verbatim, in order, in one shell (so the variables chain), each checked
    against its marker (an `eventually` step sent again for up to RETRY_SECONDS: a read until its
    answer holds, a write only while it is refused)."""
    parts = [PRELUDE]
    for step in walk:
        parts.append(
            f"# step {step.number} (docs/walkthrough.md line {step.line})\n"
            f"walk_deadline=$((SECONDS + {RETRY_SECONDS}))\n"
            "while :; do\n"
            f"walk_begin {step.number}\n"
            f"{step.commands}\n"
            f"walk_judge {step.number} {step.status} {shlex.quote(step.check)} && break\n"
            f"walk_again {step.number} {int(step.eventually)} {int(step.writes)} $walk_deadline\n"
            "done\n"
        )
    return "\n".join(parts)
