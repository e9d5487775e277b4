#!/bin/sh
# Starts Redis from the data volume. On first start the default (admin) user gets a random
# password, kept in the volume for freehold-redis-admin: apps never get a passwordless user.
set -eu
DIR=/var/lib/freehold/redis
mkdir -p "$DIR"
if [ ! -s "$DIR/admin.pass" ]; then
  umask 077
  pw=$(head -c 24 /dev/urandom | base64 | tr '+/' '-_')
  printf 'user default on >%s ~* &* +@all\n' "$pw" > "$DIR/users.acl"
  # Written last: its presence means the ACL file matches it.
  printf '%s\n' "$pw" > "$DIR/admin.pass.tmp"
  mv "$DIR/admin.pass.tmp" "$DIR/admin.pass"
fi
chown -R redis:redis "$DIR"
exec setpriv --reuid=redis --regid=redis --init-groups redis-server /etc/redis/freehold.conf
