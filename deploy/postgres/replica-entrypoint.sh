#!/bin/bash
# The read replica: on first start, copies the primary with pg_basebackup (-R writes standby.signal and the
# connection to stream from), then runs PostgreSQL as a hot standby through the official image's entry point, which
# finds the cluster there and only starts it.
set -euo pipefail
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    mkdir -p "$PGDATA"
    chown postgres "$PGDATA"
    chmod 700 "$PGDATA"
    # The primary may still be creating its cluster and the replication role: try until it lets the copy in.
    until gosu postgres env PGPASSWORD="$POSTGRES_REPLICATION_PASSWORD" pg_basebackup --host=db --username=replicator \
        --pgdata="$PGDATA" --write-recovery-conf --wal-method=stream --checkpoint=fast; do
        rm -rf "${PGDATA:?}"/*
        sleep 2
    done
fi
exec docker-entrypoint.sh postgres -c hot_standby=on
