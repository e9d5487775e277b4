#!/usr/bin/env bash
# Installs what Freehold needs on a Debian 12 machine (as root), then npm dependencies and the
# build; with --for-tests, also what the test suite needs. Safe to run again. Used by the README's
# two commands and by CI.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

# A mirror or registry that fails once (a dropped connection, a mirror mid-sync) should not fail
# the set-up: try a download step three times, 10 s apart.
retry() {
  local n
  for n in 1 2 3; do
    "$@" && return 0
    [ "$n" = 3 ] || { echo "==> failed ($*), trying again in 10 s" >&2; sleep 10; }
  done
  return 1
}

# What Freehold itself uses.
APT_PACKAGES=(podman runc netavark aardvark-dns iptables caddy debootstrap restic curl ca-certificates openssl openssh-client
  knot-dnsutils   # the rfc2136 DNS provider (knsupdate, kdig)
  clevis tpm2-tools   # sealing the master key with Tang servers or a TPM
)
# What only the test suite uses (`setup.sh --for-tests`, as scripts/test.sh does): the real
# servers the tests run on loopback (sshd, Knot, PowerDNS, pebble, tangd, swtpm) and Chromium.
if [ "${1:-}" = --for-tests ]; then
  APT_PACKAGES+=(openssh-server chromium knot pdns-server pdns-backend-sqlite3 pebble tang swtpm)
fi

missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> apt-get install ${missing[*]}"
  retry apt-get update -qq
  retry apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# openssh-server is there for the tests' own sshd (SFTP backup targets). When this run installed
# it, stop the system sshd its package started; an sshd that was already there is left alone.
if [[ " ${missing[*]:-} " == *" openssh-server "* ]] && command -v systemctl >/dev/null 2>&1; then
  systemctl disable --now ssh.service ssh.socket >/dev/null 2>&1 || true
fi

# Packages that start system services where systemd runs (DNS on port 53, tangd on port 80,
# which Freehold's Caddy needs): Freehold and its tests run their own, so stop those this run
# installed.
for pair in knot:knot pdns-server:pdns tang:tangd.socket; do
  pkg=${pair%%:*} unit=${pair#*:}
  if [[ " ${missing[*]:-} " == *" $pkg "* ]] && command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now "$unit" >/dev/null 2>&1 || true
  fi
done

# Podman on hosts whose cgroups are mounted in v1/hybrid mode: crun refuses them and the
# default rlimits are refused, so use runc + cgroupfs + explicit ulimits. Ordinary hosts keep
# Podman's defaults.
if [ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ] && ! grep -q freehold /etc/containers/containers.conf 2>/dev/null; then
  echo "==> cgroups v1/hybrid detected: configuring Podman for runc + cgroupfs (/etc/containers/containers.conf)"
  mkdir -p /etc/containers
  cat > /etc/containers/containers.conf <<'CONF'
# written by freehold scripts/setup.sh: cgroups v1/hybrid host
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
CONF
fi

# Debian's caddy package starts a system service on :80; Freehold runs its own Caddy.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet caddy 2>/dev/null; then
  systemctl disable --now caddy >/dev/null 2>&1 || true
fi

echo "==> npm ci"
if [ -f package-lock.json ]; then retry npm ci --no-audit --no-fund --loglevel=error; else retry npm install --no-audit --no-fund --loglevel=error; fi
if [ -f web/package.json ]; then (cd web && retry npm ci --no-audit --no-fund --loglevel=error); fi
echo "==> build"
npm run build --silent
