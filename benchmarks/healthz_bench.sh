#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# GET /healthz requests/s on fleetreg-center next to nginx serving a small
# static file, over HTTP and over HTTPS, measured with wrk on loopback in one
# run (alternating rounds: nginx, center, nginx, center, ...).
# Both HTTPS servers use the same self-signed P-256 certificate made here with
# openssl, TLS 1.2 and 1.3 only, keep-alive; nginx may keep a connection for
# any number of requests (keepalive_requests), as the center does.
# Usage: benchmarks/healthz_bench.sh BUILD_DIR [SECONDS_PER_ROUND] [ROUNDS]
set -euo pipefail
build=${1:?usage: healthz_bench.sh BUILD_DIR [SECONDS] [ROUNDS]}
secs=${2:-10}
rounds=${3:-2}
command -v wrk >/dev/null && command -v nginx >/dev/null || { echo "needs wrk and nginx (apt-get install wrk nginx-light)" >&2; exit 1; }
work=$(mktemp -d /tmp/fleetreg-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
nginx_port=$(free_port); nginx_tls_port=$(free_port); center_port=$(free_port); center_tls_port=$(free_port)

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$work/server.key" -out "$work/server.pem" 2>/dev/null

mkdir -p "$work/www" "$work/nginx"
printf '{"status":"ok"}' >"$work/www/healthz"
# nginx's workers run as nobody when started by root: they must read the file.
chmod 755 "$work" "$work/www" && chmod 644 "$work/www/healthz"
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes auto;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 100000000;
  server { listen 127.0.0.1:$nginx_port; root $work/www; location / { default_type application/json; } }
  server {
    listen 127.0.0.1:$nginx_tls_port ssl;
    ssl_certificate $work/server.pem;
    ssl_certificate_key $work/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    root $work/www;
    location / { default_type application/json; }
  }
}
CONF
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" &
pids+=($!)

start_center() {  # NAME LISTEN EXTRA_LINES
  cat >"$work/$1.conf" <<CONF
[center]
listen = $2
database = $work/$1.db
secret_file = $work/$1.secret
$3
CONF
  "$build/center/fleetreg-centerctl" -c "$work/$1.conf" key init >/dev/null
  "$build/center/fleetreg-center" -c "$work/$1.conf" 2>"$work/$1.log" &
  pids+=($!)
}
start_center center "http://127.0.0.1:$center_port" "allow_plain_http = yes"
start_center center_tls "https://127.0.0.1:$center_tls_port" \
  "tls_certificate = $work/server.pem
tls_key = $work/server.key"

urls=("http://127.0.0.1:$nginx_port/healthz" "http://127.0.0.1:$center_port/healthz"
      "https://127.0.0.1:$nginx_tls_port/healthz" "https://127.0.0.1:$center_tls_port/healthz")
for _ in $(seq 100); do
  up=1
  for u in "${urls[@]}"; do curl -ksf "$u" >/dev/null 2>&1 || up=0; done
  [ "$up" = 1 ] && break
  sleep 0.1
done
[ "$up" = 1 ] || { echo "a server did not come up" >&2; tail "$work"/*.log "$work/nginx/error.log" >&2; exit 1; }

# What TLS each server negotiates with this OpenSSL (wrk uses the same library).
tls_of() {
  openssl s_client -connect "127.0.0.1:$1" </dev/null 2>/dev/null |
    awk '/^New, / {gsub(",", "", $2); print $2 " " $5}' | head -1
}
nginx_tls=$(tls_of "$nginx_tls_port"); center_tls=$(tls_of "$center_tls_port")

# Requests/s; a round with any error or non-2xx answer is refused, not counted.
rate() {
  local out
  out=$(wrk -t2 -c64 -d"${secs}s" "$1")
  if grep -qE 'Non-2xx|Socket errors' <<<"$out"; then
    printf 'wrk %s: errors or non-2xx answers:\n%s\n' "$1" "$out" >&2
    exit 1
  fi
  awk '/Requests\/sec/ {print $2}' <<<"$out"
}
results=()
for _ in $(seq "$rounds"); do
  for u in "${urls[@]}"; do results+=("$(rate "$u")"); done
done
python3 - "$secs" "$rounds" "$nginx_tls" "$center_tls" "${results[@]}" <<'PY'
import sys
secs, rounds, nginx_tls, center_tls = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
v = list(map(float, sys.argv[5:]))
# v: per round, nginx http, center http, nginx https, center https
col = lambda i: [v[4 * r + i] for r in range(rounds)]
mean = lambda xs: sum(xs) / len(xs)
each = lambda xs: ", ".join(f"{x:.0f}" for x in xs)
ratios = lambda c, n: [a / b for a, b in zip(col(c), col(n))]
print("| measure | HTTP | HTTPS |\n|---|---|---|")
print(f"| nginx static file, requests/s (mean; each round) | {mean(col(0)):.0f} ({each(col(0))}) "
      f"| {mean(col(2)):.0f} ({each(col(2))}) |")
print(f"| fleetreg-center /healthz, requests/s (mean; each round) | {mean(col(1)):.0f} ({each(col(1))}) "
      f"| {mean(col(3)):.0f} ({each(col(3))}) |")
rh, rs = ratios(1, 0), ratios(3, 2)
print(f"| ratio center / nginx (of the means; each round) | {mean(col(1)) / mean(col(0)):.2f} "
      f"({', '.join(f'{x:.2f}' for x in rh)}) | {mean(col(3)) / mean(col(2)):.2f} "
      f"({', '.join(f'{x:.2f}' for x in rs)}) |")
print(f"\nwrk -t2 -c64, {rounds} alternating rounds of {secs} s each per server and scheme, 127.0.0.1, "
      f"nginx worker_processes auto; TLS negotiated: nginx {nginx_tls}, center {center_tls}")
PY
