"""``python -m devstack run|start|stop|status|env|clean``: the stack for ``make run``, ``make start``,
``make stop`` and ``make clean``.

- ``run``: start everything in the foreground (the servers, every service, the gateway on
  ``http://127.0.0.1:8080``), print the endpoints and the admin credentials, stop it all on
  Ctrl-C/SIGTERM (or as soon as one process dies).
- ``start``: the same, detached: returns once everything is healthy, leaving the processes running and
  their pids in ``.devstack/state.json``; prints ``export VAR=...`` lines on stdout (``eval "$(...)"``
  works) and the rest on stderr.
- ``stop``: stop everything the state file names (the gateway first, then the services, then the
  servers; SIGTERM, wait, SIGKILL), leaving nothing behind.
- ``status``: what runs (each service's URL, for ``/metrics`` and ``/ready``), and the endpoints.
- ``env``: only the ``export VAR=...`` lines of the running stack, for ``eval "$(make env)"``
  (nothing on stdout, and exit 3, when no stack runs).
- ``clean``: delete the stopped stack's data, logs and scratch files, saying what each is
  (``--dry-run``: only say it).

The data survives ``stop``/``start`` (:mod:`devstack.data_dir`): every database, the Kafka log with
its topics and consumer offsets, localstripe's store and the generated secrets (so earlier tokens
stay valid) live in ``$DEVSTACK_DATA_DIR`` (default ``.devstack/data``, under ``$DEVSTACK_DIR``); logs
are appended to ``.devstack/logs``. ``--fresh`` (``DEVSTACK_FRESH=1``) deletes the data before
starting; ``--throwaway`` (``DEVSTACK_THROWAWAY=1``) leaves it alone and runs on data of its own in
the scratch folder, deleted on stop (the benchmark's own stack). ``--servers-only`` (or
``DEVSTACK_SERVERS_ONLY=1``) starts only Kafka, PostgreSQL and localstripe, for running a service
from an IDE.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import shlex
import shutil
import signal
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from devstack import proctable
from devstack.apps import GATEWAY, SERVICES, AppSettings
from devstack.data_dir import (
    DATA_DIR_ENV,
    WHAT_IS_KEPT,
    StackFolders,
    data_targets,
    deletable,
    prepare_data_dir,
    remove,
    size_of,
)
from devstack.errors import DevstackError
from devstack.logs import rotate_logs
from devstack.processes import ManagedProcess, ProcessRecord, stop_records
from devstack.stack import Stack
from devstack.stack_secrets import load_or_create
from devstack.state import STATE_FILE, StackState, clear_state, devstack_home, read_state, write_state
from shared.settings import DEV_CLIENT_ID, DEV_CLIENT_SECRET

log = logging.getLogger("devstack")

EXIT_NOT_RUNNING = 3
GATEWAY_URL_ENV = "EP_URL"
"""Exported with the endpoints: the demo and the SDK scripts read the gateway's URL from it."""
TOPIC_PREFIX_ENV = "TOPIC_PREFIX"
"""Exported when the services use one, so tools pointed at the stack (checkout-admin) find its topics."""


def _setup_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", datefmt="%H:%M:%S"))
    log.addHandler(handler)
    log.setLevel(logging.DEBUG if verbose else logging.INFO)
    log.propagate = False


def _print_exports(env: Mapping[str, str]) -> None:
    for key, value in env.items():
        print(f"export {key}={shlex.quote(value)}")
    sys.stdout.flush()


@dataclass(frozen=True)
class StartOptions:
    """How ``run``/``start`` treat the kept data, and what they start."""

    servers_only: bool = False
    fresh: bool = False
    """Delete the kept data first (``--fresh``, ``DEVSTACK_FRESH=1``)."""
    throwaway: bool = False
    """Leave the kept data alone; run on data in the scratch folder, deleted on stop."""


def _open_stack(home: Path, options: StartOptions) -> Stack:
    """The stack to start: its data kept in the data folder (emptied first if ``fresh``), or throwaway
    in the scratch folder; logs rotated and appended to; the scratch folder remade."""
    folders = StackFolders.of(home)
    data: Path | None = None
    if not options.throwaway:
        if options.fresh:
            _delete(data_targets(folders), dry_run=False, out=sys.stderr)  # stdout: export lines only
        data = prepare_data_dir(folders.data)
    apps = None
    if not options.servers_only:
        apps = AppSettings.from_environ(os.environ, None if data is None else load_or_create(data))
    for rotated in rotate_logs(folders.logs):
        log.info("rotated %s (over its size limit) to %s.1", rotated, rotated.name)
    shutil.rmtree(folders.scratch, ignore_errors=True)
    folders.scratch.mkdir(parents=True)
    return Stack(folders.scratch, apps=apps, data_dir=data, log_dir=folders.logs)


def _delete(targets: list[tuple[Path, str]], *, dry_run: bool, out: TextIO | None = None) -> None:
    """Delete (or, with ``dry_run``, only name) each folder, saying on ``out`` (stdout) what it is and
    its size."""
    for path, what in targets:
        size = size_of(path) / 1_048_576
        verb = "would delete" if dry_run else "deleting"
        print(f"{verb} {path}: {what} ({size:.1f} MB)", file=out or sys.stdout, flush=True)
        if not dry_run:
            remove(path)


def _exports(stack: Stack) -> dict[str, str]:
    """The servers' endpoints, the topic prefix the services use, and the gateway's URL when it runs."""
    env = stack.env()
    if stack.app_settings is not None and stack.app_settings.topic_prefix:
        env[TOPIC_PREFIX_ENV] = stack.app_settings.topic_prefix
    if GATEWAY in stack.app_urls:
        env[GATEWAY_URL_ENV] = stack.gateway_url
    return env


def _print_welcome(stack: Stack) -> None:
    """Where the API is, who the admin is, and how to get a token: what a newcomer needs first."""
    settings = stack.app_settings
    if settings is None or GATEWAY not in stack.app_urls:
        return
    url = stack.gateway_url
    running = [name for name in SERVICES if name in stack.app_urls]
    missing = [name for name in SERVICES if name not in stack.app_urls]
    curl = shlex.join(
        [
            "curl",
            "-s",
            f"{url}/oauth/access_token",
            "-d",
            "grant_type=client_credentials",
            "-d",
            f"client_id={settings.client_id}",
            "-d",
            f"client_secret={settings.client_secret}",
        ]
    )
    lines = [
        "",
        f"Elastic Path API: {url}   (services: {', '.join(running)})",
    ]
    if missing:
        lines.append(
            f"  not running (their paths answer 503): {', '.join(missing)}"
        )  # left out (DEVSTACK_SERVICES)
    lines += [
        f"  admin client: CLIENT_ID={settings.client_id} CLIENT_SECRET={settings.client_secret}"
        + (
            "   (development defaults; set CLIENT_ID, CLIENT_SECRET, JWT_SECRET to override)"
            if _dev(settings)
            else ""
        ),
        "  admin token:  " + curl,
        f"  logs: {stack.log_dir or stack.work_dir / 'apps'}",
        _data_line(stack),
        "",
    ]
    print("\n".join(lines), file=sys.stderr, flush=True)


def _data_line(stack: Stack) -> str:
    if stack.data_dir is None:
        return "  data: throwaway, deleted on stop"
    return f"  data: {stack.data_dir}   (kept across stop/start; make clean or --fresh deletes it)"


def _dev(settings: AppSettings) -> bool:
    return (settings.client_id, settings.client_secret) == (DEV_CLIENT_ID, DEV_CLIENT_SECRET)


def _throwaway_paths(stack: Stack) -> list[Path]:
    """What stop deletes: throwaway data outside the work dir, and the work dir of a throwaway stack."""
    paths = stack.scratch_paths()
    return paths if stack.data_dir is not None else [*paths, stack.work_dir]


def _state_of(stack: Stack, *, mode: str, detach: bool) -> StackState:
    servers = stack.processes()[len(stack.apps) :]

    def record(process: ManagedProcess) -> ProcessRecord:
        return process.detach() if detach else process.record()

    return StackState(
        env=_exports(stack),
        apps=[record(process) for process in stack.apps],
        servers=[record(process) for process in servers],
        cleanup=[str(p) for p in _throwaway_paths(stack)],
        mode=mode,
        owner_pid=None if detach else os.getpid(),
        started_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        urls=dict(stack.app_urls),
        data_dir="" if stack.data_dir is None else str(stack.data_dir),
        log_dir=str(stack.log_dir or stack.work_dir),
    )


def _check_not_running(home: Path) -> int | None:
    """None if no stack runs (forgetting a dead one); else the exit code to return."""
    state = read_state(home)
    if state is None:
        return None
    alive = [r for r in state.records() if r.is_alive()]
    if not alive:
        _remove(state.cleanup)
        clear_state(home)
        return None
    log.error(
        "a stack is already running (%s: %s); stop it first: python -m devstack stop",
        home / STATE_FILE,
        ", ".join(r.name for r in alive),
    )
    return 1


def _new_stack(home: Path, options: StartOptions) -> Stack | int:
    """The stack `start` and `run` bring up, or the exit code that refuses it: 1 while one runs
    already, 2 when its folders cannot be prepared."""
    refused = _check_not_running(home)
    if refused is not None:
        return refused
    try:
        return _open_stack(home, options)
    except DevstackError as exc:
        log.error("%s", exc)
        return 2


def _remove(paths: list[str]) -> None:
    for path in paths:
        shutil.rmtree(path, ignore_errors=True)


def cmd_start(home: Path, options: StartOptions) -> int:
    """Start detached; return once healthy."""
    state = read_state(home)
    if state is not None and state.records() and all(r.is_alive() for r in state.records()):
        if options.fresh:
            log.error("a stack is running (%s); stop it before --fresh: make stop", home / STATE_FILE)
            return 1
        log.info("the stack is already running (%s)", home / STATE_FILE)
        _print_exports(state.env)
        return 0
    stack = _new_stack(home, options)
    if isinstance(stack, int):
        return stack
    try:
        asyncio.run(stack.start())
    except DevstackError as exc:
        log.error("%s", exc)
        return 1
    except KeyboardInterrupt:
        stack.stop()
        return 130
    state_path = write_state(home, _state_of(stack, mode="detached", detach=True))
    _print_exports(_exports(stack))
    _print_welcome(stack)
    log.info("stack running; logs under %s, state in %s", stack.log_dir or stack.work_dir, state_path)
    log.info("stop it with: make stop (python -m devstack stop)")
    return 0


def cmd_stop(home: Path, timeout: float | None) -> int:
    """Stop whatever the state file names."""
    state = read_state(home)
    if state is None:
        log.info("nothing to stop (no %s)", home / STATE_FILE)
        return 0
    owner = state.owner_pid
    if state.mode == "foreground" and owner is not None and proctable.is_alive(owner):
        log.info("asking the foreground `devstack run` (pid %d) to stop…", owner)
        with contextlib.suppress(ProcessLookupError):
            os.kill(owner, signal.SIGTERM)
        deadline = time.monotonic() + 60
        while proctable.is_alive(owner) and time.monotonic() < deadline:
            time.sleep(0.1)
    # The gateway first, so no request reaches a service that is stopping; then the services.
    gateway = [r for r in state.apps if r.name == GATEWAY]
    services = [r for r in state.apps if r.name != GATEWAY]
    names = ", ".join(r.name for r in [*gateway, *services, *state.servers] if r.is_alive())
    if names:
        log.info("stopping %s…", names)
    started = time.monotonic()
    killed = stop_records(gateway, timeout) + stop_records(services, timeout)
    killed += stop_records(state.servers, timeout)
    if killed:
        log.warning("had to SIGKILL: %s", ", ".join(killed))
    leftovers = [r for r in state.records() if r.is_alive()]
    if leftovers:
        log.error("still running: %s", ", ".join(f"{r.name} (pid {r.pid})" for r in leftovers))
        return 1
    _remove(state.cleanup)
    clear_state(home)
    log.info("stopped in %.1f s", time.monotonic() - started)
    if state.data_dir:
        log.info("data kept in %s (make start resumes it; make clean deletes it)", state.data_dir)
    return 0


def cmd_status(home: Path) -> int:
    """Print what runs; exit 0 if all of it runs, 1 if part, 3 if nothing is recorded."""
    state = read_state(home)
    if state is None:
        print("not running")
        return EXIT_NOT_RUNNING
    all_alive = True
    for record in state.records():
        alive = record.is_alive()
        all_alive = all_alive and alive
        status = "running" if alive else "DEAD"
        url = state.urls.get(record.name, "")
        print(f"{record.name:<14} pid {record.pid:<8} {status:<8} {url:<24} log {record.log_path}")
    print(f"# {state.mode} stack started {state.started_at}")
    if state.data_dir:
        print(f"# data kept in {state.data_dir} across stop/start (make clean deletes it)")
    if state.log_dir:
        print(f"# logs appended in {state.log_dir}")
    if any(name != GATEWAY for name in state.urls):
        print("# every service answers GET /metrics (Prometheus) and GET /ready at its URL")
    if GATEWAY_URL_ENV in state.env:
        print(f"# Elastic Path API at {state.env[GATEWAY_URL_ENV]}")
    _print_exports(state.env)
    return 0 if all_alive else 1


def cmd_env(home: Path) -> int:
    """Print only the running stack's ``export`` lines (eval-safe); exit 3 if no stack runs."""
    state = read_state(home)
    if state is None or not any(record.is_alive() for record in state.records()):
        log.error("no stack is running (%s); start one with: make start", home / STATE_FILE)
        return EXIT_NOT_RUNNING
    _print_exports(state.env)
    return 0


def cmd_run(home: Path, options: StartOptions) -> int:
    """Start in the foreground until Ctrl-C/SIGTERM."""
    stack = _new_stack(home, options)
    if isinstance(stack, int):
        return stack
    try:
        return asyncio.run(_run(stack, home))
    finally:
        stack.stop()
        if stack.data_dir is None:
            _remove([str(stack.work_dir)])


def cmd_clean(home: Path, dry_run: bool) -> int:
    """Delete the stopped stack's data, logs and scratch files, naming each; refuse while it runs."""
    state = read_state(home)
    if state is not None and any(record.is_alive() for record in state.records()):
        log.error("a stack is running (%s); stop it first: make stop", home / STATE_FILE)
        return 1
    try:
        targets = deletable(StackFolders.of(home))
    except DevstackError as exc:
        log.error("%s", exc)
        return 1
    if not targets:
        print(f"nothing to delete: no data, logs or scratch files under {home} (or {DATA_DIR_ENV})")
    _delete(targets, dry_run=dry_run)
    if not dry_run:
        if state is not None:
            _remove(state.cleanup)
            clear_state(home)
        if targets:
            print("the next start begins empty: new databases, Kafka log, localstripe store and secrets")
    return 0


async def _run(stack: Stack, home: Path) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    wrote_state = False
    try:
        starting = asyncio.ensure_future(stack.start())
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait([starting, stopping], return_when=asyncio.FIRST_COMPLETED)
        if not starting.done():
            log.info("interrupted; stopping…")
            starting.cancel()
            await asyncio.gather(starting, return_exceptions=True)
            return 130
        stopping.cancel()
        try:
            starting.result()
        except DevstackError as exc:
            log.error("%s", exc)
            return 1
        write_state(home, _state_of(stack, mode="foreground", detach=False))
        wrote_state = True
        _print_exports(_exports(stack))
        _print_welcome(stack)
        log.info("stack running; logs under %s; press Ctrl-C to stop", stack.log_dir or stack.work_dir)
        while not stop.is_set():
            dead = [p for p in stack.processes() if not p.is_running()]
            if dead:
                for process in dead:
                    log.error(
                        "%s exited unexpectedly (status %s); log: %s",
                        process.name,
                        process.returncode,
                        process.log_path,
                    )
                return 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=1.0)
        log.info("stopping…")
        return 0
    finally:
        stack.stop()
        if wrote_state:
            clear_state(home)
        for sig in signals:
            loop.remove_signal_handler(sig)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _flag(variable: str) -> bool:
    return os.environ.get(variable, "").lower() in ("1", "true", "yes")


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m devstack``."""
    parser = argparse.ArgumentParser(
        prog="python -m devstack",
        description="Local Kafka, PostgreSQL and localstripe, every service, and the gateway.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True)
    servers_only = _flag("DEVSTACK_SERVERS_ONLY")
    for name, text in (
        ("run", "start in the foreground until Ctrl-C"),
        ("start", "start detached; return once healthy"),
    ):
        command = commands.add_parser(name, help=text)
        command.add_argument(
            "--servers-only",
            action="store_true",
            default=servers_only,
            help="only Kafka, PostgreSQL and localstripe: no services, no gateway (DEVSTACK_SERVERS_ONLY=1)",
        )
        data = command.add_mutually_exclusive_group()
        data.add_argument(
            "--fresh",
            action="store_true",
            default=_flag("DEVSTACK_FRESH"),
            help=f"delete the kept data ({WHAT_IS_KEPT}) before starting (DEVSTACK_FRESH=1)",
        )
        data.add_argument(
            "--throwaway",
            action="store_true",
            default=_flag("DEVSTACK_THROWAWAY"),
            help="leave the kept data alone: run on data of its own, deleted on stop (DEVSTACK_THROWAWAY=1)",
        )
    stop_parser = commands.add_parser("stop", help="stop the detached stack")
    stop_parser.add_argument("--timeout", type=float, default=None, help="seconds before SIGKILL")
    commands.add_parser("status", help="show what runs")
    commands.add_parser("env", help='print the running stack\'s export lines only (eval "$(make env)")')
    clean_parser = commands.add_parser(
        "clean", help="delete the stopped stack's data, logs and scratch files (make clean)"
    )
    clean_parser.add_argument("--dry-run", action="store_true", help="only say what would be deleted")
    args = parser.parse_args(argv)
    _setup_logging(args.verbose)
    # SIGTERM (a CI timeout, `kill`) unwinds like Ctrl-C, so half-started servers are stopped too.
    signal.signal(signal.SIGTERM, _interrupt)
    home = devstack_home()
    if args.command in ("run", "start"):
        if args.fresh and args.throwaway:
            log.error("--fresh (DEVSTACK_FRESH) and --throwaway (DEVSTACK_THROWAWAY) exclude each other")
            return 2
        try:
            if not args.servers_only:
                AppSettings.from_environ(os.environ)  # a bad setting fails before anything is touched
        except DevstackError as exc:
            log.error("%s", exc)
            return 2
        options = StartOptions(servers_only=args.servers_only, fresh=args.fresh, throwaway=args.throwaway)
        return cmd_run(home, options) if args.command == "run" else cmd_start(home, options)
    if args.command == "clean":
        return cmd_clean(home, args.dry_run)
    if args.command == "stop":
        return cmd_stop(home, args.timeout)
    if args.command == "env":
        return cmd_env(home)
    return cmd_status(home)
