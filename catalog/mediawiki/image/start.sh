#!/bin/sh
# Starts MediaWiki: installs it into an empty database on first start (schema + administrator
# account), applies schema updates on every start (a no-op when there are none), then serves.
# Idempotent: safe to run on every container start.
set -eu

: "${MW_SERVER:?MW_SERVER (the public URL) is not set}"
: "${MW_SECRET_KEY:?MW_SECRET_KEY is not set}"
: "${PGDATABASE:?PGDATABASE is not set: is the postgres addon declared?}"
MW=/usr/share/mediawiki
ADMIN_USER="${MW_ADMIN_USER:-Admin}"

umask 077
mkdir -p /data/images /tmp/mediawiki-cache
umask 022

set +e
php /usr/local/lib/freehold/db-state.php
state=$?
set -e
if [ "$state" -eq 2 ]; then
  exit 1
elif [ "$state" -eq 1 ]; then
  : "${MW_ADMIN_PASSWORD:?MW_ADMIN_PASSWORD is not set}"
  echo "mediawiki: not installed yet, installing (administrator: $ADMIN_USER)"
  work=$(mktemp -d)
  # the password goes through a file, not the command line
  (umask 077; printf '%s' "$MW_ADMIN_PASSWORD" > "$work/pass")
  # MW_CONFIG_FILE: the installer refuses to run while it sees a LocalSettings.php (ours is in
  # the image), so point it at one that does not exist; the file it writes there is discarded
  MW_CONFIG_FILE="$work/LocalSettings.php" php "$MW/maintenance/install.php" \
    --confpath="$work" --server="$MW_SERVER" --scriptpath="" --lang="${MW_LANGUAGE:-en}" \
    --dbtype=postgres --dbserver="$PGHOST" --dbport="${PGPORT:-5432}" --dbname="$PGDATABASE" \
    --dbuser="$PGUSER" --dbpass="$PGPASSWORD" --installdbuser="$PGUSER" --installdbpass="$PGPASSWORD" \
    --dbschema=mediawiki --passfile="$work/pass" --skins=Vector \
    "${MW_SITENAME:-Wiki}" "$ADMIN_USER"
  rm -rf "$work"
fi

# schema migrations (new MediaWiki version or newly enabled extensions); quick when up to date
php "$MW/maintenance/update.php" --quick

exec /usr/sbin/apache2 -f /etc/freehold/httpd.conf -DFOREGROUND
