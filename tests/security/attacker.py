"""An attacker as a process of its own, sending prepared waves of requests when told to.

Why a process: timing a read while the same test process writes megabytes of attack bodies measures
the test's own event loop as much as the service's. From another process, the attack competes with
the reader only where a real attacker would, in the service. The process starts (Python, httpx)
before the clock runs: `fire()` only tells the ready process to go.

Waves, because an attack is often a write and then cheap reads that make the service pay for it
again and again (a cart of 16,000 events folded for every `GET`): each wave's requests are sent at
once, the next wave once every answer of this one is in.

Run as `python -m tests.security.attacker SPEC`, SPEC a JSON file: {"base_url", "headers", "waves":
[[{"method", "path", "body_file" (or null)}]]}; it prints "ready", waits for a line on stdin, sends
the waves and prints one JSON line: [[{"status", "content"}]], answers in the order given.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.support.services import REPO

CONTENT_KEPT = 65_536
"""Characters of each answer handed back: errors are short, and an accepted attack needs no more."""
ANSWER_LINE_LIMIT = 16 * 1024 * 1024

Request = tuple[str, str, bytes | None]
"""(method, path, body)."""


@asynccontextmanager
async def attacker(
    base_url: str, headers: dict[str, str], waves: list[list[Request]], work: Path
) -> AsyncIterator[Callable[[], Awaitable[list[list[httpx.Response]]]]]:
    """A started attacker for `waves`; the context gives `fire`, which sends them and returns the
    answers of each wave (as httpx responses, for the usual asserts)."""
    spec_waves = []
    for w, wave in enumerate(waves):
        entries = []
        for r, (method, path, body) in enumerate(wave):
            body_file = None
            if body is not None:
                body_file = work / f"attack-{w}-{r}.json"
                body_file.write_bytes(body)
            entries.append({"method": method, "path": path, "body_file": body_file and str(body_file)})
        spec_waves.append(entries)
    spec = work / "attack.json"
    spec.write_text(json.dumps({"base_url": base_url, "headers": headers, "waves": spec_waves}))
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.security.attacker",
        str(spec),
        cwd=REPO,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        limit=ANSWER_LINE_LIMIT,
    )
    assert process.stdin is not None and process.stdout is not None
    stdin, stdout = process.stdin, process.stdout
    try:
        assert (await stdout.readline()).strip() == b"ready"

        async def fire() -> list[list[httpx.Response]]:
            stdin.write(b"go\n")
            await stdin.drain()
            answers = json.loads(await stdout.readline())
            return [
                [
                    httpx.Response(
                        answer["status"],
                        content=answer["content"].encode(),
                        request=httpx.Request(method, base_url + path),
                    )
                    for answer, (method, path, _) in zip(wave_answers, wave, strict=True)
                ]
                for wave_answers, wave in zip(answers, waves, strict=True)
            ]

        yield fire
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def _attack(spec: dict[str, Any], bodies: list[list[bytes | None]]) -> list[list[dict[str, Any]]]:
    results = []
    async with httpx.AsyncClient(base_url=spec["base_url"], headers=spec["headers"], timeout=300) as http:
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        for wave, wave_bodies in zip(spec["waves"], bodies, strict=True):
            answers = await asyncio.gather(
                *(
                    http.request(request["method"], request["path"], content=body)
                    for request, body in zip(wave, wave_bodies, strict=True)
                )
            )
            results.append([{"status": a.status_code, "content": a.text[:CONTENT_KEPT]} for a in answers])
    return results


def _bodies(spec: dict[str, Any]) -> list[list[bytes | None]]:
    return [
        [None if r["body_file"] is None else Path(r["body_file"]).read_bytes() for r in wave]
        for wave in spec["waves"]
    ]


if __name__ == "__main__":
    attack = json.loads(Path(sys.argv[1]).read_text())
    print(json.dumps(asyncio.run(_attack(attack, _bodies(attack)))), flush=True)
