"""The "Walkthrough by hand" (docs/walkthrough.md, linked from the README) runs verbatim against a started
stack, and every answer is the one its marker promises (issue 21, point 2); `python -m demo -v` prints
each request it makes.

The stack is `python -m devstack start` as `make start` runs it (every service and the gateway, servers
of its own, throwaway data in a folder of its own), so the walkthrough's `eval "$(make env)"` finds it
through its state file as a reader's shell would. The blocks run in one bash, in order, under
`set -euo pipefail`; `curl` is wrapped only to note each answer's status and body for the check.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from devstack.ports import free_port
from tests.devstack.exports import ENDPOINTS
from tests.devstack.readme_steps import Step, WalkthroughError, program, steps
from tests.support.commands import REPO, environment_without, run_module

WALKTHROUGH = REPO / "docs" / "walkthrough.md"
SECRETS = ("CLIENT_ID", "CLIENT_SECRET", "JWT_SECRET", "ORDER_ID_SECRET", "EP_URL", "GATEWAY_PORT")
# curl goes to the loopback addresses itself even where a proxy is configured.
LOOPBACK_DIRECT = {"no_proxy": "127.0.0.1,localhost", "NO_PROXY": "127.0.0.1,localhost"}
# What the walkthrough must keep covering: the seed's steps, each a request the walkthrough makes.
COVERED = (
    "grant_type=client_credentials",
    "grant_type=implicit",
    "/v2/products",
    "/v2/inventories/$PRODUCT",
    "/v2/promotions",
    '"type": "cart_item"',
    '"type": "custom_item"',
    '"type": "promotion_item"',
    "/checkout",
    '"gateway": "manual", "method": "authorize"',
    "/capture",
    '"shipping": "fulfilled"',
)


def walkthrough() -> list[Step]:
    return steps(WALKTHROUGH.read_text())


@pytest.fixture(scope="module")
def started() -> Iterator[dict[str, str]]:
    """`make start`'s stack in a private `DEVSTACK_DIR`, on throwaway data; the environment that finds it
    (no server, secret or make variable a developer may have exported)."""
    # Not tmp_path: pytest makes it 0700 for root, and the postgres user must reach its cluster inside.
    folder = Path(tempfile.mkdtemp(prefix="devstack-walkthrough-"))
    folder.chmod(0o755)
    env = environment_without(*ENDPOINTS, *SECRETS) | {
        "DEVSTACK_DIR": str(folder / "home"),
        "DEVSTACK_THROWAWAY": "1",
        "GATEWAY_PORT": str(free_port()),
        **LOOPBACK_DIRECT,
    }
    try:
        started = run_module("devstack", "start", env=env)
        assert started.returncode == 0, (started.stdout, started.stderr)
        yield env
    finally:
        run_module("devstack", "stop", env=env, timeout=120)
        shutil.rmtree(folder, ignore_errors=True)


def test_the_walkthrough_covers_the_seed_workflow() -> None:
    commands = "\n".join(step.commands for step in walkthrough())
    missing = [request for request in COVERED if request not in commands]
    assert not missing, f"the walkthrough ({WALKTHROUGH.name}) no longer makes these requests: {missing}"


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("```sh\ncurl -s $EP_URL/v2/products\n```\n", "must end with"),
        ("```sh\ncurl -s x\n# → 2000 .data\n```\n", "must end with"),
        ("```sh\ncurl -s x\n# → soon 200 .data\n```\n", "must end with"),
        ("```sh\n# → 200 .data\ncurl -s x\n```\n", "last line"),
        ("```sh\ncurl -s x\n# → 200 .data\n# → 200 .data\n```\n", "last line"),
        ("```sh\n# → 200 .data\n```\n", "no command"),
        ("```bash\ncurl -s x\n# → 200 .data\n```\n", "only ```sh"),
        ("```sh\ncurl -s x\n# → 200 .data\n", "never closed"),
        ("Send it. # → 200 .data\n", "outside a block"),
        ("Nothing to run.\n", "no ```sh blocks"),
    ],
)
def test_a_step_without_a_well_formed_marker_is_refused(text: str, complaint: str) -> None:
    page = f"# Walkthrough by hand\n\n{text}\n## Next\n"
    with pytest.raises(WalkthroughError, match=complaint):
        steps(page)


def test_a_marker_reads_as_status_test_and_eventually() -> None:
    page = (
        "# Walkthrough by hand\n```sh\nX=$(curl -s -d a=b u | jq -r .id)\n# → 201 .data.id\n```\n"
        "```sh\ncurl -s u\n# → eventually 200 .data.total == 8\n```\n### Other\n```sh\nignored\n```\n"
    )
    first, second = steps(page)
    assert (first.status, first.check, first.eventually, first.writes) == (201, ".data.id", False, True)
    assert (second.status, second.check, second.eventually, second.writes) == (
        200,
        ".data.total == 8",
        True,
        False,
    )
    assert second.commands == "curl -s u"


class Scripted(BaseHTTPRequestHandler):
    """Answers that change as they are asked: a write refused once, a read that holds on the third try,
    a write whose answer never passes its test."""

    asked: Counter[str] = Counter()

    def do_GET(self) -> None:
        self.asked[self.path] += 1
        self.answer(200, f'{{"n": {self.asked[self.path]}}}')

    def do_POST(self) -> None:
        self.asked[self.path] += 1
        self.rfile.read(int(self.headers.get("content-length", 0)))
        if self.path == "/refused-once":
            self.answer(400 if self.asked[self.path] == 1 else 201, '{"id": "x1"}')
        else:
            self.answer(201, '{"id": null}')

    def answer(self, status: int, body: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def scripted() -> Iterator[str]:
    Scripted.asked = Counter()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Scripted)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_eventually_resends_a_refused_write_and_a_read_but_never_a_write_that_was_taken(
    scripted: str, tmp_path: Path
) -> None:
    page = (
        "# Walkthrough by hand\n"
        '```sh\nID=$(curl -s -d a=b $URL/refused-once | jq -r .id)\n# → eventually 201 .id == "x1"\n```\n'
        "```sh\ncurl -s $URL/counting/$ID\n# → eventually 200 .n == 3\n```\n"
        "```sh\ncurl -s -d a=b $URL/taken\n# → eventually 201 .id != null\n```\n"
        "```sh\ncurl -s $URL/never-reached\n# → 200 .n == 1\n```\n"
    )
    result, log = run(os.environ | {"URL": scripted, **LOOPBACK_DIRECT}, steps(page), tmp_path / "walk")
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "walk-step 1 ok 201" in log and "walk-step 2 ok 200" in log, log
    assert "walk-step 3 FAILED: its answer fails the test .id != null" in log, log
    assert Scripted.asked == {"/refused-once": 2, "/counting/x1": 3, "/taken": 1}


def run(env: dict[str, str], walk: list[Step], work: Path) -> tuple[subprocess.CompletedProcess[str], str]:
    """The walkthrough's program under bash; its result and the log of every step's verdict."""
    work.mkdir(exist_ok=True)
    (work / "log").touch()
    result = subprocess.run(
        ["bash", "-c", program(walk)],
        env=env | {"WALK_DIR": str(work)},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return result, (work / "log").read_text()


def test_the_walkthrough_runs_verbatim_and_every_answer_is_the_promised_one(
    started: dict[str, str], tmp_path: Path
) -> None:
    assert shutil.which("jq") and shutil.which("curl") and shutil.which("make"), "the walkthrough needs them"
    walk = walkthrough()
    result, log = run(started, walk, tmp_path)
    passed = [line for line in log.splitlines() if line.startswith("walk-step ") and " ok " in line]
    tried = [line for line in log.splitlines() if line.startswith("walk-start ")]
    stopped = int(tried[-1].split()[1]) if tried else 1
    where = walk[stopped - 1]
    assert result.returncode == 0 and len(passed) == len(walk), (
        f"walkthrough step {where.number} ({WALKTHROUGH.name} line {where.line}: {where.first_line!r}) "
        "failed; "
        f"promised {where.status} {where.check}\n{log}\n"
        f"--- stdout (the end)\n{result.stdout[-2000:]}\n--- stderr\n{result.stderr[-2000:]}"
    )
    assert [int(line.split()[1]) for line in passed] == [step.number for step in walk]


def test_demo_verbose_prints_each_request(started: dict[str, str]) -> None:
    gateway = run_module("devstack", "env", env=started).stdout
    url = next(line.split("=", 1)[1] for line in gateway.splitlines() if line.startswith("export EP_URL="))
    env = started | {"EP_URL": url}

    def demo(*args: str) -> str:
        done = run_module("demo", *args, env=env)
        assert done.returncode == 0, (done.stdout, done.stderr)
        return done.stdout

    verbose, quiet = demo("-v"), demo()
    for request in (
        "POST /oauth/access_token -> 200",
        "POST /v2/products -> 201",
        "POST /v2/inventories/",
        "/checkout -> 201",
        "/payments -> 200",
        "/capture -> 200",
        "PUT /v2/orders/",
    ):
        assert request in verbose, verbose
    assert "6. Flagged fulfilled" in quiet and "-> 201" not in quiet, quiet
