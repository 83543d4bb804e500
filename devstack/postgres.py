"""A PostgreSQL cluster from the system's binaries, made with ``initdb`` on a free port.

PostgreSQL refuses to run as root, and development machines and CI run as root: then ``initdb`` and
the server run as the unprivileged ``postgres`` user (created if missing), in folders that user owns.

The server is durable by default (:data:`DURABLE_SETTINGS`: ``fsync``, ``synchronous_commit`` and
``full_page_writes`` on, with group commit and WAL compression): whatever a client was told happened
is on disk, as ``make run``, ``make start``, the benchmark and the crash tests need. Only derived,
rebuildable data commits asynchronously, per transaction (``SET LOCAL synchronous_commit = off``
in the projection runners and the outbox relay's deletes). Test suites whose data is thrown away
and that never kill the server may pass ``settings=FAST_SETTINGS`` (the pytest plugin does, unless
``DEVSTACK_DURABLE_TESTS=1``). ``settings`` overrides any server setting.
"""

from __future__ import annotations

import logging
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

import asyncpg

from devstack.aio import in_thread
from devstack.databases import create_database, database_url
from devstack.errors import MissingDependencyError, ServerStartError
from devstack.ports import LOOPBACK, free_port
from devstack.processes import ManagedProcess, ProcessSpec
from devstack.readiness import Probe
from devstack.system import apt_install, can_apt_install, is_root
from devstack.system import reachable as _reachable

log = logging.getLogger("devstack")

SUPERUSER = "postgres"
_COMMON_SETTINGS: Mapping[str, str] = {
    "listen_addresses": LOOPBACK,
    "max_connections": "300",
    "shared_buffers": "128MB",
    # Per-statement counts for the benchmark's SQL round trips per checkout (and for operators).
    "shared_preload_libraries": "pg_stat_statements",
    "pg_stat_statements.track": "all",
}
DURABLE_SETTINGS: Mapping[str, str] = {
    **_COMMON_SETTINGS,
    "fsync": "on",
    "synchronous_commit": "on",
    "full_page_writes": "on",
    "wal_compression": "on",
    # Group commit: a committing backend waits this long (microseconds) for others to share its WAL
    # flush when at least commit_siblings other transactions are open.
    "commit_delay": "200",
    "commit_siblings": "3",
    "wal_buffers": "16MB",
    "max_wal_size": "1GB",
}
"""Every acknowledged commit is on disk and survives ``kill -9`` of the server or a power cut."""
FAST_SETTINGS: Mapping[str, str] = {
    **_COMMON_SETTINGS,
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}
"""For throwaway test data only: a crash of the server or the machine may lose acknowledged commits."""
DEFAULT_SETTINGS = DURABLE_SETTINGS
_SOCKET_PATH_MAX = 100  # sun_path holds 107 bytes, and PostgreSQL appends "/.s.PGSQL.<port>"


def _has_server(bindir: Path) -> bool:
    return all(os.access(bindir / tool, os.X_OK) for tool in ("initdb", "postgres"))


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", path.parent.name)) or (0,)


def find_bindir() -> Path | None:
    """The folder holding ``initdb`` and ``postgres``: ``$POSTGRES_BINDIR``, ``pg_config``, Debian's
    ``/usr/lib/postgresql/<version>/bin`` (highest version first), then ``PATH``."""
    candidates: list[Path] = []
    if os.environ.get("POSTGRES_BINDIR"):
        candidates.append(Path(os.environ["POSTGRES_BINDIR"]))
    pg_config = shutil.which("pg_config")
    if pg_config:
        result = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if result.returncode == 0 and result.stdout.strip():
            candidates.append(Path(result.stdout.strip()))
    candidates.extend(sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True))
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    return next((c for c in candidates if _has_server(c)), None)


def ensure_bindir() -> Path:
    """Find the PostgreSQL server binaries, installing the ``postgresql`` package if we may."""
    found = find_bindir()
    if found is not None:
        return found
    if can_apt_install():
        apt_install(["postgresql"])
        found = find_bindir()
        if found is not None:
            return found
    raise MissingDependencyError(
        "PostgreSQL server binaries (initdb, postgres) were not found. Install them "
        "(Debian/Ubuntu: sudo apt-get install postgresql; macOS: brew install postgresql@16), "
        "or set POSTGRES_BINDIR to the folder that holds them."
    )


def server_account() -> pwd.struct_passwd:
    """The account the server runs as: ourselves, or (as root) ``postgres``, created if missing."""
    if not is_root():
        return pwd.getpwuid(os.geteuid())
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        pass
    log.info("creating system user 'postgres' (PostgreSQL refuses to run as root)")
    useradd = shutil.which("useradd")
    if useradd is None:
        raise MissingDependencyError("running as root, but no 'postgres' user exists and useradd is missing")
    home = ["--home-dir", "/var/lib/postgresql", "--shell", "/bin/false"]
    subprocess.run([useradd, "--system", "--user-group", *home, "postgres"], check=True, capture_output=True)
    return pwd.getpwnam("postgres")


class PostgresServer:
    """One PostgreSQL server on ``127.0.0.1:<port>``; superuser ``postgres``, trust authentication.

    Logs go to ``work_dir``; the data folder too, unless the server's user cannot reach ``work_dir``,
    in which case it lives in a private temp folder (:attr:`temp_root`) removed by :meth:`destroy`.
    """

    def __init__(
        self,
        work_dir: Path,
        *,
        port: int | None = None,
        settings: Mapping[str, str] | None = None,
        start_timeout: float = 60.0,
        name: str = "postgres",
    ) -> None:
        self.work_dir = work_dir
        self.host = LOOPBACK
        self.port = port or free_port()
        self.settings = {**DEFAULT_SETTINGS, **(settings or {})}
        self.start_timeout = start_timeout
        self.name = name
        self.temp_root: Path | None = None
        self._root: Path | None = None
        self._process: ManagedProcess | None = None

    @property
    def url(self) -> str:
        """The server URL (database ``postgres``)."""
        return self.dsn("postgres")

    def dsn(self, database: str = "postgres") -> str:
        """``postgresql://postgres@127.0.0.1:PORT/<database>``."""
        return database_url(f"postgresql://{SUPERUSER}@{self.host}:{self.port}/", database)

    @property
    def data_dir(self) -> Path:
        """The cluster's data folder (``PGDATA``)."""
        if self._root is None:
            raise RuntimeError(f"{self.name} has not been started")
        return self._root / "data"

    @property
    def process(self) -> ManagedProcess:
        """The postmaster."""
        if self._process is None:
            raise RuntimeError(f"{self.name} has not been started")
        return self._process

    def processes(self) -> list[ManagedProcess]:
        """The postmaster, if started (children are found through it)."""
        return [] if self._process is None else [self._process]

    async def create_database(self, name: str) -> None:
        """Create database ``name`` unless it exists."""
        await create_database(self.url, name)

    async def start(self) -> None:
        """Create the cluster on first use (``initdb``), start the server, and wait for a connection."""
        if self._process is None:
            self._process = await in_thread(self._prepare)
        await self._process.start(self._probe())

    def stop(self) -> None:
        """Fast shutdown (SIGINT: roll back sessions, checkpoint), SIGKILL after a timeout. Data is kept."""
        if self._process is not None:
            self._process.stop()

    def kill(self) -> None:
        """SIGKILL the postmaster and all its backends: a crash, for fault tests."""
        if self._process is not None:
            self._process.kill()

    async def restart(self) -> None:
        """Stop and start again on the same port and data."""
        self.stop()
        await self.start()

    def destroy(self) -> None:
        """Stop and delete the data."""
        self.stop()
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
        self.temp_root = None

    def _prepare(self) -> ManagedProcess:
        bindir = ensure_bindir()
        account = server_account()
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self._root = self.work_dir / "cluster"
        if not _reachable(self.work_dir, account):
            self.temp_root = Path(tempfile.mkdtemp(prefix="devstack-postgres-"))
            self._root = self.temp_root
            log.info(
                "%s: data in %s (user %s cannot reach %s)",
                self.name,
                self._root,
                account.pw_name,
                self.work_dir,
            )
        data, sockets = self._root / "data", self._root / "run"
        for folder in (self._root, data, sockets):
            folder.mkdir(parents=True, exist_ok=True)
            os.chown(folder, account.pw_uid, account.pw_gid)
        data.chmod(0o700)
        run_as = account.pw_name if is_root() else None
        if not (data / "PG_VERSION").exists():
            self._initdb(bindir, data, account, run_as)
        socket_dir = str(sockets) if len(str(sockets)) < _SOCKET_PATH_MAX else ""
        argv = [str(bindir / "postgres"), "-D", str(data), "-p", str(self.port), "-k", socket_dir]
        for key, value in self.settings.items():
            argv += ["-c", f"{key}={value}"]
        spec = ProcessSpec(
            name=self.name,
            argv=argv,
            log_path=self.work_dir / "postgres.log",
            cwd=self._root,
            user=run_as,
            stop_signal=signal.SIGINT,
            signal_group=False,
            start_timeout=self.start_timeout,
            stop_timeout=30.0,
        )
        return ManagedProcess(spec)

    def _initdb(self, bindir: Path, data: Path, account: pwd.struct_passwd, run_as: str | None) -> None:
        argv = [str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", SUPERUSER]
        argv += ["--no-sync", "-E", "UTF8", "--locale=C"]
        initdb_log = self.work_dir / "initdb.log"
        kwargs: dict[str, object] = {}
        if run_as is not None:
            kwargs = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
        env = {**os.environ, "HOME": account.pw_dir, "USER": account.pw_name, "LOGNAME": account.pw_name}
        with initdb_log.open("wb") as out:
            result = subprocess.run(
                argv,
                cwd="/",
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                **kwargs,  # type: ignore[call-overload]
            )
        if result.returncode != 0:
            tail = "\n".join(initdb_log.read_text(errors="replace").splitlines()[-30:])
            raise ServerStartError(self.name, initdb_log, f"initdb failed (exit {result.returncode})", tail)

    def _probe(self) -> Probe:
        async def probe() -> None:
            conn = await asyncpg.connect(
                host=self.host, port=self.port, user=SUPERUSER, database="postgres", timeout=5
            )
            await conn.close()

        return probe
