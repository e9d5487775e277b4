#!/bin/sh
# redis-cli as the admin (default) user. The password is read here, inside the container, so it
# never appears on a command line (podman's or redis-cli's).
REDISCLI_AUTH=$(cat /var/lib/freehold/redis/admin.pass)
export REDISCLI_AUTH
exec redis-cli --no-auth-warning -e "$@"
