"""The Kafka jars: fetched once from Maven Central with Maven, then reused from a cache folder.

Apache publishes Kafka as Maven artifacts, so a tiny generated pom plus ``dependency:copy-dependencies``
gives the full runtime classpath without downloading or unpacking a distribution tarball. The jars
land in a staging folder that is renamed into place, and a marker naming the artifacts is written
last: an interrupted download is redone, and changing the artifact list refetches.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from devstack.errors import DevstackError
from devstack.system import ensure_command

log = logging.getLogger("devstack")

KAFKA_VERSION = "4.1.1"
ARTIFACTS: tuple[tuple[str, str, str], ...] = (
    ("org.apache.kafka", "kafka_2.13", KAFKA_VERSION),
    ("org.apache.logging.log4j", "log4j-slf4j2-impl", "2.24.3"),
    ("org.apache.logging.log4j", "log4j-core", "2.24.3"),
    ("org.slf4j", "slf4j-api", "2.0.16"),
)
_MARKER = "libs.complete"


@dataclass(frozen=True)
class KafkaLibs:
    """A complete Kafka runtime classpath, and what getting it cost."""

    libs_dir: Path
    downloaded: bool
    seconds: float

    @property
    def classpath(self) -> str:
        """The ``-cp`` argument (Java expands the ``*``)."""
        return f"{self.libs_dir}/*"


def default_cache_dir() -> Path:
    """``$KAFKA_CACHE_DIR``, else ``~/.cache/checkout-platform/kafka-<version>`` (jars go in ``libs/``)."""
    override = os.environ.get("KAFKA_CACHE_DIR")
    if override:
        return Path(override).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "checkout-platform" / f"kafka-{KAFKA_VERSION}"


def _pom() -> str:
    deps = "\n".join(
        f"    <dependency><groupId>{g}</groupId><artifactId>{a}</artifactId>"
        f"<version>{v}</version></dependency>"
        for g, a, v in ARTIFACTS
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.devstack</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
{deps}
  </dependencies>
</project>
"""


def _marker_text() -> str:
    return "".join(f"{g}:{a}:{v}\n" for g, a, v in ARTIFACTS)


def _is_complete(cache_dir: Path) -> bool:
    marker = cache_dir / _MARKER
    return marker.is_file() and marker.read_text() == _marker_text() and (cache_dir / "libs").is_dir()


@contextlib.contextmanager
def _locked(cache_dir: Path) -> Iterator[None]:
    """Serialise fetches between processes (two test sessions sharing one cache)."""
    with (cache_dir / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_kafka_libs(cache_dir: Path | None = None, *, maven_repo_local: Path | None = None) -> KafkaLibs:
    """Return the Kafka classpath, fetching it with Maven first unless the cache is complete.

    ``maven_repo_local`` points Maven at another local repository (an empty one measures a truly cold
    download); by default Maven uses its usual ``~/.m2/repository``.
    """
    cache = (cache_dir or default_cache_dir()).expanduser().resolve()
    cache.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    if _is_complete(cache):
        return KafkaLibs(cache / "libs", downloaded=False, seconds=time.monotonic() - started)
    with _locked(cache):
        if _is_complete(cache):  # another process fetched it while we waited
            return KafkaLibs(cache / "libs", downloaded=False, seconds=time.monotonic() - started)
        _fetch(cache, maven_repo_local)
    seconds = time.monotonic() - started
    log.info("fetched Kafka %s jars with Maven into %s in %.1f s", KAFKA_VERSION, cache / "libs", seconds)
    return KafkaLibs(cache / "libs", downloaded=True, seconds=seconds)


def _fetch(cache: Path, maven_repo_local: Path | None) -> None:
    mvn = ensure_command("mvn", "maven", "to fetch the Kafka jars from Maven Central")
    (cache / _MARKER).unlink(missing_ok=True)
    staging = cache / "libs.partial"
    shutil.rmtree(staging, ignore_errors=True)
    fetch_log = cache / "fetch.log"
    log.info("fetching Kafka %s jars with Maven (first run only)…", KAFKA_VERSION)
    with tempfile.TemporaryDirectory(prefix="devstack-kafka-pom-") as tmp:
        pom = Path(tmp) / "pom.xml"
        pom.write_text(_pom())
        argv = [
            mvn,
            "-q",
            "-B",
            "-f",
            str(pom),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={staging}",
            "-DincludeScope=runtime",
        ]
        if maven_repo_local is not None:
            argv.append(f"-Dmaven.repo.local={maven_repo_local}")
        with fetch_log.open("wb") as out:
            result = subprocess.run(
                argv, cwd=tmp, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT
            )
    kafka_jar = staging / f"kafka_2.13-{KAFKA_VERSION}.jar"
    if result.returncode != 0 or not kafka_jar.is_file():
        tail = fetch_log.read_text(errors="replace")[-3000:]
        raise DevstackError(
            f"fetching the Kafka jars with Maven failed (exit {result.returncode}); log: {fetch_log}\n{tail}"
        )
    libs = cache / "libs"
    shutil.rmtree(libs, ignore_errors=True)
    staging.rename(libs)
    (cache / _MARKER).write_text(_marker_text())
