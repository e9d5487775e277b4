#!/bin/sh
# Starts MariaDB from the data volume, creating the system tables there on first start.
set -eu
VOL=/var/lib/freehold
DATA="$VOL/mysql"
mkdir -p /run/mysqld
chown mysql:mysql /run/mysqld "$VOL"
if [ ! -d "$DATA/mysql" ]; then
  # Built aside then renamed, so a start interrupted half-way never leaves half a data dir.
  rm -rf "$VOL/mysql.init"
  # root@localhost authenticates by unix socket only (Freehold's admin commands exec the client
  # as root in the container); no anonymous users, no test database.
  mariadb-install-db --user=mysql --datadir="$VOL/mysql.init" --auth-root-authentication-method=socket \
    --skip-test-db >/dev/null
  mv "$VOL/mysql.init" "$DATA"
fi
# Listen on the container's networks (each installation's network reaches it under the alias
# "mysql"); no DNS lookups of clients, accounts are 'user'@'%'.
exec mariadbd --user=mysql --datadir="$DATA" --bind-address=0.0.0.0 --skip-name-resolve
