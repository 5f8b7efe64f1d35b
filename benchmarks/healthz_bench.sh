#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# GET /healthz requests/s on fleetreg-center next to nginx serving a small
# static file, measured with wrk on loopback in one run (alternating rounds).
# Usage: benchmarks/healthz_bench.sh BUILD_DIR [SECONDS_PER_ROUND]
set -euo pipefail
build=${1:?usage: healthz_bench.sh BUILD_DIR [SECONDS]}
secs=${2:-10}
command -v wrk >/dev/null && command -v nginx >/dev/null || { echo "needs wrk and nginx (apt-get install wrk nginx-light)" >&2; exit 1; }
work=$(mktemp -d /tmp/fleetreg-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
nginx_port=$(free_port); center_port=$(free_port)

mkdir -p "$work/www" "$work/nginx"
printf '{"status":"ok"}' >"$work/www/healthz"
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes auto;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  server { listen 127.0.0.1:$nginx_port; root $work/www; location / { default_type application/json; } }
}
CONF
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" &
pids+=($!)

cat >"$work/center.conf" <<CONF
[center]
listen = http://127.0.0.1:$center_port
allow_plain_http = yes
database = $work/center.db
secret_file = $work/center.secret
CONF
"$build/center/fleetreg-center" -c "$work/center.conf" 2>"$work/center.log" &
pids+=($!)
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$center_port/healthz" >/dev/null 2>&1 && curl -sf "http://127.0.0.1:$nginx_port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done

rate() { wrk -t2 -c64 -d"${secs}s" "$1" | awk '/Requests\/sec/ {print $2}'; }
n1=$(rate "http://127.0.0.1:$nginx_port/healthz"); c1=$(rate "http://127.0.0.1:$center_port/healthz")
n2=$(rate "http://127.0.0.1:$nginx_port/healthz"); c2=$(rate "http://127.0.0.1:$center_port/healthz")
python3 - "$n1" "$n2" "$c1" "$c2" "$secs" <<'PY'
import sys
n1, n2, c1, c2 = map(float, sys.argv[1:5])
n, c = (n1 + n2) / 2, (c1 + c2) / 2
print("| measure | value |\n|---|---|")
print(f"| nginx static file, requests/s | {n:.0f} |")
print(f"| fleetreg-center /healthz, requests/s | {c:.0f} |")
print(f"| ratio center / nginx | {c / n:.2f} |")
print(f"\nwrk -t2 -c64, 2 alternating rounds of {sys.argv[5]} s each, HTTP on 127.0.0.1, nginx worker_processes auto")
PY
