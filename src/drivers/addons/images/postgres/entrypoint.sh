#!/bin/sh
# Starts PostgreSQL from the data volume, creating the cluster there on first start.
set -eu
VOL=/var/lib/freehold
PGDATA="$VOL/pgdata"
mkdir -p /run/postgresql
chown postgres:postgres /run/postgresql "$VOL"
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  # Built aside then renamed, so a start interrupted half-way never leaves a half cluster behind.
  rm -rf "$VOL/pgdata.init"
  # Unix socket: peer auth (Freehold's admin commands exec psql as the postgres OS user).
  # Network: passwords only; the superuser has none, so it cannot log in over the network.
  as_postgres initdb -D "$VOL/pgdata.init" -U postgres -E UTF8 --locale=C.UTF-8 \
    --auth-local=peer --auth-host=scram-sha-256 >/dev/null
  echo 'host all all all scram-sha-256' >> "$VOL/pgdata.init/pg_hba.conf"
  mv "$VOL/pgdata.init" "$PGDATA"
fi
exec setpriv --reuid=postgres --regid=postgres --init-groups postgres -D "$PGDATA" -c listen_addresses='*'
