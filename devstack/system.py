"""System tools the servers need (Java, Maven, PostgreSQL, nginx): find them, or install them when we may.

``make run`` on a fresh Debian/Ubuntu machine (development boxes and CI run as root) installs what is
missing with apt-get; anywhere else we stop with a message that says exactly what to install.
"""

from __future__ import annotations

import logging
import os
import pwd
import re
import shutil
import stat
import subprocess
import threading
import time
from pathlib import Path

from devstack.errors import MissingDependencyError

log = logging.getLogger("devstack")

_apt_lock = threading.Lock()
_apt_updated = False
# Debian puts daemons (nginx) in sbin, which an unprivileged user's PATH often lacks.
_SBIN_DIRS = ("/usr/local/sbin", "/usr/sbin", "/sbin")


def is_root() -> bool:
    """True when running as root (POSIX)."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def can_apt_install() -> bool:
    """True when we may install Debian packages ourselves."""
    return is_root() and shutil.which("apt-get") is not None


def apt_install(packages: list[str]) -> None:
    """Install Debian packages (root only); serialised, since dpkg allows one at a time."""
    global _apt_updated
    with _apt_lock:
        started = time.monotonic()
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        log.info("installing %s with apt-get…", " ".join(packages))
        if not _apt_updated:
            subprocess.run(["apt-get", "update", "-q"], check=True, env=env, capture_output=True)
            _apt_updated = True
        result = subprocess.run(
            ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages],
            env=env,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise MissingDependencyError(
                f"apt-get install {' '.join(packages)} failed:\n"
                f"{result.stdout[-2000:]}{result.stderr[-2000:]}"
            )
        log.info("installed %s in %.1f s", " ".join(packages), time.monotonic() - started)


def find_command(command: str) -> str | None:
    """``command`` on ``PATH``, or in the sbin folders where Debian installs daemons."""
    search = os.pathsep.join([os.environ.get("PATH", os.defpath), *_SBIN_DIRS])
    return shutil.which(command, path=search)


def ensure_command(command: str, apt_package: str, purpose: str) -> str:
    """Return the path of ``command``, installing ``apt_package`` first if we may."""
    found = find_command(command)
    if found:
        return found
    if can_apt_install():
        apt_install([apt_package])
        found = find_command(command)
        if found:
            return found
    raise MissingDependencyError(
        f"{command!r} was not found on PATH; it is needed {purpose}. "
        f"Install it (Debian/Ubuntu: sudo apt-get install {apt_package})."
    )


def ensure_java(minimum: int = 17) -> str:
    """Return the ``java`` executable, checking it is at least version ``minimum`` (Kafka 4 needs 17)."""
    java = ensure_command("java", "openjdk-17-jre-headless", "to run Kafka")
    result = subprocess.run([java, "-version"], capture_output=True, text=True)
    match = re.search(r'version "(\d+)(?:\.(\d+))?', result.stderr + result.stdout)
    if match:
        major = int(match.group(1))
        if major == 1 and match.group(2):  # "1.8.0_392" means Java 8
            major = int(match.group(2))
        if major < minimum:
            raise MissingDependencyError(
                f"{java} is Java {major}; Kafka 4 needs Java {minimum} or newer "
                "(Debian/Ubuntu: sudo apt-get install openjdk-17-jre-headless)."
            )
    return java


def ensure_nginx() -> str:
    """Return the ``nginx`` executable (the gateway), installing Debian's ``nginx`` package if we may."""
    return ensure_command("nginx", "nginx", "to run the gateway, the single public entry point")


def reachable(path: Path, account: pwd.struct_passwd) -> bool:
    """Whether ``account`` may traverse every folder down to ``path`` (a root-only 0700 tmp dir is not).

    Servers that drop root (PostgreSQL, nginx's workers) must reach their files as that account.
    """
    groups = {account.pw_gid, *os.getgrouplist(account.pw_name, account.pw_gid)}
    for folder in [path, *path.parents]:
        try:
            st = folder.stat()
        except FileNotFoundError:
            continue
        if st.st_uid == account.pw_uid:
            allowed = st.st_mode & stat.S_IXUSR
        elif st.st_gid in groups:
            allowed = st.st_mode & stat.S_IXGRP
        else:
            allowed = st.st_mode & stat.S_IXOTH
        if not allowed:
            return False
    return True
