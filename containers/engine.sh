#!/usr/bin/env bash
# A Docker engine for the container images and compose, and the Debian base image they build FROM.
#
#   containers/engine.sh start       use the engine that answers; else, as root, start a private dockerd
#   containers/engine.sh base-image  make sure debian:bookworm-slim exists: pull it from a normal engine,
#                                    else (private engine, no registry) debootstrap + docker import, cached
#   containers/engine.sh stop        stop the private dockerd, only if this script started it
#   containers/engine.sh env         print the DOCKER_HOST line to eval (the private engine's socket)
#
# The private engine keeps every byte on the host: --bridge=none --iptables=false, so containers run
# only with `network_mode: host` (containers/compose.yml). Its state lives under CHECKOUT_DOCKER_ROOT
# (default /var/lib/checkout-platform/docker) so images survive a stop; the debootstrap tarball is
# cached under CHECKOUT_CACHE (default ~/.cache/checkout-platform).
set -euo pipefail

ROOT=${CHECKOUT_DOCKER_ROOT:-/var/lib/checkout-platform/docker}
RUN_DIR=${CHECKOUT_DOCKER_RUN:-/run/checkout-platform-docker}
SOCKET="$RUN_DIR/docker.sock"
PIDFILE="$RUN_DIR/dockerd.pid"
CACHE=${CHECKOUT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/checkout-platform}
BASE_IMAGE=debian:bookworm-slim
ROOTFS_TAR="$CACHE/debian-bookworm-minbase.tar"

say() { printf '[engine] %s\n' "$*" >&2; }

answers() { timeout 10 docker ${1:+--host "$1"} info >/dev/null 2>&1; }

private_running() { [[ -f $PIDFILE ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

# Debian's engine, compose and debootstrap, installed when missing (root, apt): a fresh machine has none.
need_packages() {
    local missing=()
    command -v dockerd >/dev/null || missing+=(docker.io)
    command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1 || missing+=(docker-compose)
    command -v debootstrap >/dev/null || missing+=(debootstrap)
    [[ ${#missing[@]} == 0 ]] && return
    if [[ $(id -u) != 0 ]] || ! command -v apt-get >/dev/null; then
        say "missing ${missing[*]}: install them (Debian: apt-get install ${missing[*]})"
        exit 1
    fi
    local started=$SECONDS
    say "apt-get install ${missing[*]}"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
    say "installed ${missing[*]} in $((SECONDS - started)) s"
}

start() {
    if private_running && answers "unix://$SOCKET"; then
        say "private dockerd already running (pid $(cat "$PIDFILE"))"
        return
    fi
    if [[ -z ${DOCKER_HOST:-} ]] && answers ""; then
        say "an engine already answers on the default socket: using it"
        return
    fi
    if [[ -n ${DOCKER_HOST:-} && $DOCKER_HOST != "unix://$SOCKET" ]] && answers "$DOCKER_HOST"; then
        say "the engine at DOCKER_HOST=$DOCKER_HOST answers: using it"
        return
    fi
    if [[ $(id -u) != 0 ]]; then
        say "no Docker engine answers and starting one needs root"
        exit 1
    fi
    need_packages
    mkdir -p "$ROOT" "$RUN_DIR"
    local started=$SECONDS
    say "starting a private dockerd (data $ROOT, socket $SOCKET, no bridge, no iptables)"
    setsid dockerd \
        --host "unix://$SOCKET" \
        --data-root "$ROOT" \
        --exec-root "$RUN_DIR/exec" \
        --pidfile "$PIDFILE" \
        --bridge=none --iptables=false --ip-masq=false --ip6tables=false \
        --storage-driver overlay2 \
        >"$RUN_DIR/dockerd.log" 2>&1 </dev/null &
    for _ in $(seq 1 120); do
        if answers "unix://$SOCKET"; then
            say "private dockerd ready in $((SECONDS - started)) s; export DOCKER_HOST=unix://$SOCKET"
            return
        fi
        sleep 0.5
    done
    say "dockerd did not answer in 60 s; log: $RUN_DIR/dockerd.log"
    tail -20 "$RUN_DIR/dockerd.log" >&2
    exit 1
}

stop() {
    if ! private_running; then
        say "no private dockerd of ours is running"
        return
    fi
    local pid
    pid=$(cat "$PIDFILE")
    local left
    left=$(docker --host "unix://$SOCKET" ps -q 2>/dev/null || true)
    if [[ -n $left ]]; then
        say "stopping containers still running: $(echo $left)"
        docker --host "unix://$SOCKET" stop $left >/dev/null || true
    fi
    kill "$pid"
    for _ in $(seq 1 60); do
        if ! kill -0 "$pid" 2>/dev/null; then
            # dockerd leaves its default network namespace bind-mounted under the exec root.
            grep -o " $RUN_DIR/[^ ]*" /proc/mounts | xargs -r -n1 umount 2>/dev/null || true
            say "private dockerd (pid $pid) stopped"
            return
        fi
        sleep 0.5
    done
    say "dockerd (pid $pid) did not stop in 30 s"
    exit 1
}

# The engine to talk to: ours when it runs, else whatever DOCKER_HOST/the default socket says.
engine_host() {
    if private_running; then echo "unix://$SOCKET"; else echo "${DOCKER_HOST:-}"; fi
}

# The mirror apt already uses (deb822 or one-line sources), for debootstrap.
apt_mirror() {
    local uri
    uri=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -1 | awk '{print $2}')
    [[ -n $uri ]] || uri=$(grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | grep -v security | head -1 | awk '{print $2}')
    echo "${uri:-http://deb.debian.org/debian}"
}

base_image() {
    local host
    host=$(engine_host)
    local docker=(docker ${host:+--host "$host"})
    if "${docker[@]}" image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
        say "$BASE_IMAGE is present"
        return
    fi
    local started=$SECONDS
    # A private engine has no registry to pull from here; a normal one pulls the official image.
    if ! private_running || [[ ${CHECKOUT_PULL_BASE:-0} == 1 ]]; then
        if "${docker[@]}" pull "$BASE_IMAGE"; then
            say "pulled $BASE_IMAGE in $((SECONDS - started)) s"
            return
        fi
        say "pulling $BASE_IMAGE failed: building it with debootstrap instead"
    fi
    if [[ ! -s $ROOTFS_TAR ]]; then
        command -v debootstrap >/dev/null || { say "no debootstrap: apt-get install debootstrap"; exit 1; }
        mkdir -p "$CACHE"
        local dir
        dir=$(mktemp -d "$CACHE/rootfs.XXXXXX")
        local mirror
        mirror=$(apt_mirror)
        say "debootstrap --variant=minbase bookworm from $mirror"
        debootstrap --variant=minbase bookworm "$dir" "$mirror" >"$CACHE/debootstrap.log" 2>&1 ||
            { tail -20 "$CACHE/debootstrap.log" >&2; rm -rf "$dir"; exit 1; }
        rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
        tar --numeric-owner -C "$dir" -cf "$ROOTFS_TAR.partial" .
        mv "$ROOTFS_TAR.partial" "$ROOTFS_TAR"
        rm -rf "$dir"
        say "debootstrap done in $((SECONDS - started)) s, cached as $ROOTFS_TAR"
    fi
    local imported=$SECONDS
    "${docker[@]}" import --change 'CMD ["bash"]' "$ROOTFS_TAR" "$BASE_IMAGE" >/dev/null
    say "imported $BASE_IMAGE in $((SECONDS - imported)) s (total $((SECONDS - started)) s)"
}

case ${1:-} in
start) start ;;
stop) stop ;;
base-image) base_image ;;
env) if private_running; then echo "export DOCKER_HOST=unix://$SOCKET"; fi ;;
*)
    sed -n '2,9p' "$0" >&2
    exit 2
    ;;
esac
