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

import hashlib
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
LZ4_SETTINGS: Mapping[str, str] = {"wal_compression": "lz4", "default_toast_compression": "lz4"}
"""Where the server is built with lz4: a checkout's larger events (a cart checked out, an order
placed: 2-3 KB of JSON) and the order list's stored facts are compressed when stored, and lz4 does
that several times faster than PostgreSQL's own pglz (also the full-page images in the WAL)."""
_SOCKET_PATH_MAX = 100  # sun_path holds 107 bytes, and PostgreSQL appends "/.s.PGSQL.<port>"


def _has_server(bindir: Path) -> bool:
    return all(os.access(bindir / tool, os.X_OK) for tool in ("initdb", "postgres"))


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", path.parent.name)) or (0,)


def server_major_version(bindir: Path) -> str | None:
    """The major version of the ``postgres`` in ``bindir`` (``"16"``), as ``PG_VERSION`` files hold it."""
    try:
        result = subprocess.run([str(bindir / "postgres"), "--version"], capture_output=True, text=True)
    except OSError:
        return None
    match = re.search(r"\)\s*(\d+)(?:\.(\d+))?", result.stdout)
    if match is None:
        return None
    major = int(match.group(1))
    return f"{major}.{match.group(2)}" if major < 10 and match.group(2) else str(major)


def compression_settings(bindir: Path) -> Mapping[str, str]:
    """`LZ4_SETTINGS` when this server's ``pg_config`` says it was built ``--with-lz4``, else pglz for
    the WAL's full-page images (a server refuses to start with a method it was built without). Settings
    given to the server override these."""
    pg_config = bindir / "pg_config"
    configure = ""
    if pg_config.exists():
        configure = subprocess.run([str(pg_config), "--configure"], capture_output=True, text=True).stdout
    return LZ4_SETTINGS if "--with-lz4" in configure else {"wal_compression": "on"}


def find_bindir(major: str | None = None) -> Path | None:
    """The folder holding ``initdb`` and ``postgres``: ``$POSTGRES_BINDIR``, ``pg_config``, Debian's
    ``/usr/lib/postgresql/<version>/bin`` (highest version first), then ``PATH``; with ``major``, the
    first one of that major version (the one that wrote an existing cluster)."""
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
    servers = (c for c in candidates if _has_server(c))
    if major is None:
        return next(servers, None)
    return next((c for c in servers if server_major_version(c) == major), None)


def bindir_for_cluster(data: Path) -> Path:
    """The binaries of the PostgreSQL version that made the cluster in ``data`` (a kept stack's, after
    the system's PostgreSQL was upgraded, say), or a clear error saying what to do."""
    major = (data / "PG_VERSION").read_text().strip()
    found = find_bindir(major)
    if found is not None:
        return found
    raise MissingDependencyError(
        f"the database cluster in {data} was made by PostgreSQL {major}, whose server binaries are not "
        f"installed (found: {find_bindir() or 'none'}). Install them (Debian/Ubuntu: apt-get install "
        f"postgresql-{major}) or set POSTGRES_BINDIR; or upgrade the cluster with pg_upgrade; or start "
        "with empty databases: make clean (deletes every database, the Kafka log and the secrets)."
    )


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


CLUSTER_LOCATION = "cluster-location"
"""In a kept server's folder that the ``postgres`` user cannot reach: the folder its cluster lives in."""
KEPT_CLUSTERS = Path("/var/lib/checkout-platform/postgres")
"""Where kept clusters go whose own folder the ``postgres`` user cannot reach (running as root)."""


def kept_cluster_root(work_dir: Path) -> Path:
    """A folder the ``postgres`` user can reach, named after ``work_dir``, for a cluster kept across runs."""
    digest = hashlib.sha256(str(work_dir.resolve()).encode()).hexdigest()[:16]
    return KEPT_CLUSTERS / digest


def cluster_roots_elsewhere(work_dir: Path) -> list[Path]:
    """The kept cluster of ``work_dir`` that lives outside it (see :data:`CLUSTER_LOCATION`), if any."""
    pointer = work_dir / CLUSTER_LOCATION
    try:
        return [Path(pointer.read_text().strip())]
    except OSError:
        return []


def _in_temp_folder(path: Path) -> bool:
    return path.resolve().is_relative_to(Path(tempfile.gettempdir()).resolve())


class PostgresServer:
    """One PostgreSQL server on ``127.0.0.1:<port>``; superuser ``postgres``, trust authentication.

    The cluster lives in ``work_dir`` and is reused when one is there already (no ``initdb``); logs go
    to ``log_dir`` (default ``work_dir``). When the server's user cannot reach ``work_dir`` (as root,
    under a private 0700 folder), the cluster lives in a private temp folder (:attr:`temp_root`,
    removed by :meth:`destroy` and by the stack's stop) -- unless ``keep_data`` says the data must
    outlive this server (``make start``): then it lives in :func:`kept_cluster_root`, which
    ``work_dir/CLUSTER_LOCATION`` names (for ``make clean``), except for a ``work_dir`` in the system's
    temp folder (a test's), which stays throwaway, with a warning.
    """

    def __init__(
        self,
        work_dir: Path,
        *,
        port: int | None = None,
        settings: Mapping[str, str] | None = None,
        start_timeout: float = 60.0,
        name: str = "postgres",
        log_dir: Path | None = None,
        keep_data: bool = False,
    ) -> None:
        self.work_dir = work_dir
        self.log_dir = log_dir or work_dir
        self.keep_data = keep_data
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
        account = server_account()
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._root = self._cluster_root(account)
        data, sockets = self._root / "data", self._root / "run"
        bindir = bindir_for_cluster(data) if (data / "PG_VERSION").exists() else ensure_bindir()
        for folder in (self._root, data, sockets):
            folder.mkdir(parents=True, exist_ok=True)
            os.chown(folder, account.pw_uid, account.pw_gid)
        data.chmod(0o700)
        run_as = account.pw_name if is_root() else None
        if not (data / "PG_VERSION").exists():
            self._initdb(bindir, data, account, run_as)
        socket_dir = str(sockets) if len(str(sockets)) < _SOCKET_PATH_MAX else ""
        argv = [str(bindir / "postgres"), "-D", str(data), "-p", str(self.port), "-k", socket_dir]
        for key, value in {**compression_settings(bindir), **self.settings}.items():
            argv += ["-c", f"{key}={value}"]
        spec = ProcessSpec(
            name=self.name,
            argv=argv,
            log_path=self.log_dir / "postgres.log",
            cwd=self._root,
            user=run_as,
            stop_signal=signal.SIGINT,
            signal_group=False,
            start_timeout=self.start_timeout,
            stop_timeout=30.0,
        )
        return ManagedProcess(spec)

    def _cluster_root(self, account: pwd.struct_passwd) -> Path:
        """Where the cluster (``data``, ``run``) lives: see the class doc."""
        if _reachable(self.work_dir, account):
            return self.work_dir / "cluster"
        pointer = self.work_dir / CLUSTER_LOCATION
        if self.keep_data and not _in_temp_folder(self.work_dir):
            root = Path(pointer.read_text().strip()) if pointer.exists() else kept_cluster_root(self.work_dir)
            root.mkdir(parents=True, exist_ok=True)
            pointer.write_text(f"{root}\n")
            log.info(
                "%s: data in %s (user %s cannot reach %s; %s names it)",
                self.name,
                root,
                account.pw_name,
                self.work_dir,
                pointer,
            )
            return root
        self.temp_root = Path(tempfile.mkdtemp(prefix="devstack-postgres-"))
        note = log.warning if self.keep_data else log.info
        note(
            "%s: data in %s, deleted when it stops (user %s cannot reach %s)",
            self.name,
            self.temp_root,
            account.pw_name,
            self.work_dir,
        )
        return self.temp_root

    def _initdb(self, bindir: Path, data: Path, account: pwd.struct_passwd, run_as: str | None) -> None:
        argv = [str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", SUPERUSER]
        argv += ["-E", "UTF8", "--locale=C"]
        if not self.keep_data:
            argv.append("--no-sync")  # throwaway data: skip the fsync of every new file
        initdb_log = self.log_dir / "initdb.log"
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
