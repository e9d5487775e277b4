#!/bin/sh
# Starts Etherpad. Its keys (session signing, HTTP API) come from the environment, written to
# files under /tmp where Etherpad reads them; pads live in Redis, so no first-run setup is
# needed: Etherpad creates its keys on first use.
set -eu

: "${REDIS_URL:?REDIS_URL is not set: is the redis addon declared?}"
: "${REDIS_PREFIX:?REDIS_PREFIX is not set: is the redis addon declared?}"
: "${ETHERPAD_SESSION_KEY:?ETHERPAD_SESSION_KEY is not set}"
: "${ETHERPAD_API_KEY:?ETHERPAD_API_KEY is not set}"

umask 077
mkdir -p /tmp/etherpad/var
printf '%s' "$ETHERPAD_SESSION_KEY" > /tmp/etherpad/SESSIONKEY.txt
printf '%s' "$ETHERPAD_API_KEY" > /tmp/etherpad/APIKEY.txt
unset ETHERPAD_SESSION_KEY ETHERPAD_API_KEY
umask 022

cd /opt/etherpad
exec node --unhandled-rejections=warn src/node/server.js \
  --settings /etc/etherpad/settings.json \
  --sessionkey /tmp/etherpad/SESSIONKEY.txt \
  --apikey /tmp/etherpad/APIKEY.txt
