#!/usr/bin/env bash
# Starts a 3-member etcd cluster on 127.0.0.1 for development (the same shape the tests use),
# in the foreground; Ctrl-C stops it and removes its data.
#   npm run etcd:dev            then: cloister coordinator start --store etcd://127.0.0.1:12379,127.0.0.1:22379,127.0.0.1:32379
# Client ports 12379/22379/32379, peer ports 12380/22380/32380 (etcd's own Procfile uses
# 2379/22379/32379; 2379 is left free for a system etcd that Debian's package starts).
# Installs Debian's etcd-server when etcd is missing and we are root. ETCD_DEV_DIR keeps the data.
set -euo pipefail

if ! command -v etcd >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "etcd not found: installing Debian's etcd-server"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server
  else
    echo "etcd not found: install it (Debian/Ubuntu: sudo apt-get install etcd-server) and run again" >&2
    exit 1
  fi
fi

keep=1
dir="${ETCD_DEV_DIR:-}"
if [ -z "$dir" ]; then
  dir="$(mktemp -d -t cloister-etcd-dev-XXXXXX)"
  keep=0
fi
cluster="m1=http://127.0.0.1:12380,m2=http://127.0.0.1:22380,m3=http://127.0.0.1:32380"
pids=()

cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "$keep" = "0" ]; then rm -rf "$dir"; fi
}
trap cleanup EXIT INT TERM

for i in 1 2 3; do
  etcd --name "m$i" --data-dir "$dir/m$i" \
    --listen-client-urls "http://127.0.0.1:${i}2379" --advertise-client-urls "http://127.0.0.1:${i}2379" \
    --listen-peer-urls "http://127.0.0.1:${i}2380" --initial-advertise-peer-urls "http://127.0.0.1:${i}2380" \
    --initial-cluster "$cluster" --initial-cluster-state new --initial-cluster-token cloister-dev \
    --logger=zap --log-level=error >"$dir/m$i.log" 2>&1 &
  pids+=("$!")
done

for _ in $(seq 1 100); do
  ok=0
  for i in 1 2 3; do
    if curl -fsS "http://127.0.0.1:${i}2379/health" 2>/dev/null | grep -q '"health":"true"'; then ok=$((ok + 1)); fi
  done
  if [ "$ok" = "3" ]; then break; fi
  sleep 0.2
done
if [ "$ok" != "3" ]; then
  echo "etcd cluster did not become healthy; logs in $dir/m*.log:" >&2
  tail -n 20 "$dir"/m*.log >&2 || true
  exit 1
fi

echo "etcd cluster up (data in $dir)"
echo "endpoints: 127.0.0.1:12379,127.0.0.1:22379,127.0.0.1:32379"
echo "Ctrl-C to stop"
wait
