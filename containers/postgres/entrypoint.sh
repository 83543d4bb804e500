#!/bin/bash
# First start (empty PGDATA): initdb with POSTGRES_PASSWORD, run the mounted init scripts on a
# socket-only server, stop it. Every start: postgres in the foreground on 127.0.0.1:$PGPORT.
set -euo pipefail
: "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"
user=${POSTGRES_USER:-postgres}
if [[ ! -s $PGDATA/PG_VERSION ]]; then
    pwfile=$(mktemp)
    printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
    initdb --username="$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
        --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
    pg_ctl --wait --silent -o "-c listen_addresses= -c unix_socket_directories=/tmp" start
    for script in /docker-entrypoint-initdb.d/*.sql; do
        [[ -e $script ]] || continue
        echo "running $script"
        psql --host=/tmp --username="$user" --dbname=postgres -v ON_ERROR_STOP=1 --quiet -f "$script"
    done
    pg_ctl --wait --silent stop
fi
exec postgres -c listen_addresses=127.0.0.1 -c port="$PGPORT" -c unix_socket_directories=/tmp \
    -c max_connections="${POSTGRES_MAX_CONNECTIONS:-300}"
