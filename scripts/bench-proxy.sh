#!/usr/bin/env bash
# Load script for `layerlens serve` (not a timed test): N concurrent downloads of
# a SIZE_MB blob through the proxy from a local CNCF distribution registry on
# 127.0.0.1, against the same downloads made directly, in one run. Prints the
# throughput of both, their ratio, and the proxy's memory: resident set before
# the load and its peak (VmHWM from /proc/PID/status) during it; every stream's
# digest is checked, and the proxy's upstream connections are counted.
#
# Usage: scripts/bench-proxy.sh            (N=50 SIZE_MB=100 ROUNDS=2 by default)
#        N=10 SIZE_MB=20 scripts/bench-proxy.sh
# Everything listens on and talks to 127.0.0.1 only.
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."

N=${N:-50}
SIZE_MB=${SIZE_MB:-100}
ROUNDS=${ROUNDS:-2}

ensure_apt docker-registry curl bc
REGISTRY_BIN=${LAYERLENS_TEST_REGISTRY_BIN:-/usr/bin/docker-registry}

log "cargo build --release --bin layerlens"
cargo build --release --quiet --bin layerlens
BIN=target/release/layerlens

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# A port nothing on 127.0.0.1 answers on.
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}

# --- the registry --------------------------------------------------------------
REG_PORT=$(free_port)
cat >"$WORK/config.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $WORK/storage
  redirect:
    disable: true
http:
  addr: 127.0.0.1:$REG_PORT
  secret: layerlens-bench
EOF
"$REGISTRY_BIN" serve "$WORK/config.yml" >"$WORK/registry.log" 2>&1 &
PIDS+=($!)
REG="http://127.0.0.1:$REG_PORT"
for _ in $(seq 100); do
  curl -fs "$REG/v2/" >/dev/null && break
  sleep 0.1
done
curl -fs "$REG/v2/" >/dev/null || { cat "$WORK/registry.log"; exit 1; }

log "pushing a ${SIZE_MB} MB blob to $REG"
head -c "$((SIZE_MB * 1024 * 1024))" /dev/urandom >"$WORK/blob"
DIGEST="sha256:$(sha256sum "$WORK/blob" | cut -d' ' -f1)"
LOCATION=$(curl -fsS -D - -o /dev/null -X POST "$REG/v2/bench/blob/blobs/uploads/" |
  tr -d '\r' | awk -F': ' 'tolower($1)=="location" {print $2}')
case "$LOCATION" in http*) ;; *) LOCATION="$REG$LOCATION" ;; esac
SEP='?'; case "$LOCATION" in *\?*) SEP='&' ;; esac
curl -fsS -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$WORK/blob" \
  "$LOCATION${SEP}digest=$DIGEST" >/dev/null
rm -f "$WORK/blob"

# --- the proxy -------------------------------------------------------------------
"$BIN" serve --listen 127.0.0.1:0 --allow-registry "127.0.0.1:$REG_PORT" \
  --dist "$WORK/no-dist" >"$WORK/proxy.out" 2>"$WORK/proxy.err" &
PROXY_PID=$!
PIDS+=($PROXY_PID)
for _ in $(seq 100); do grep -q serving "$WORK/proxy.out" 2>/dev/null && break; sleep 0.05; done
PROXY=$(sed -n 's#^layerlens: serving \(http://[^ ]*\)/$#\1#p' "$WORK/proxy.out")
[ -n "$PROXY" ] || { cat "$WORK/proxy.err"; exit 1; }

DIRECT_URL="$REG/v2/bench/blob/blobs/$DIGEST"
PROXY_URL="$PROXY/proxy/127.0.0.1:$REG_PORT/v2/bench/blob/blobs/$DIGEST"

# The bytes through the proxy are the bytes in the registry.
GOT=$(curl -fsS "$PROXY_URL" | sha256sum | cut -d' ' -f1)
[ "sha256:$GOT" = "$DIGEST" ] || { echo "digest mismatch through the proxy" >&2; exit 1; }

vm() { awk -v k="$1:" '$1==k {print $2}' "/proc/$PROXY_PID/status"; }

# Upstream connections open to the registry right now (the proxy's, during a
# proxy run: nothing else connects to it then).
upstream_connections() {
  ss -Htn state established "( dport = :$REG_PORT )" 2>/dev/null | wc -l
}

# run URL -> prints seconds for N concurrent downloads; fails on a short one
# or on a wrong digest (every stream is hashed as it arrives).
run() {
  local url=$1 start end i pids=()
  start=$(date +%s.%N)
  for i in $(seq "$N"); do
    # Five client addresses, 10 streams each: one address may hold 32
    # upstream requests at once (--max-upstream-per-client), and the load is
    # meant to be served, not refused.
    curl -fsS --interface "127.0.0.$((i % 5 + 1))" "$url" | tee >(wc -c >"$WORK/size.$i") | sha256sum | cut -d' ' -f1 >"$WORK/sum.$i" &
    pids+=($!)
  done
  wait "${pids[@]}"
  end=$(date +%s.%N)
  sleep 0.2 # the size counters' subshells
  for i in $(seq "$N"); do
    [ "$(cat "$WORK/size.$i")" = "$((SIZE_MB * 1024 * 1024))" ] ||
      { echo "download $i incomplete: $(cat "$WORK/size.$i")" >&2; exit 1; }
    [ "sha256:$(cat "$WORK/sum.$i")" = "$DIGEST" ] ||
      { echo "download $i: wrong digest sha256:$(cat "$WORK/sum.$i")" >&2; exit 1; }
  done
  echo "$end - $start" | bc -l
}

# Samples upstream_connections every 0.1 s into $WORK/conns until killed.
sample_connections() {
  while :; do upstream_connections >>"$WORK/conns"; sleep 0.1; done
}

RSS_IDLE=$(vm VmRSS)
log "$N concurrent downloads of ${SIZE_MB} MB, $ROUNDS rounds each, best round kept"
best_direct=999999
best_proxy=999999
for r in $(seq "$ROUNDS"); do
  d=$(run "$DIRECT_URL")
  sample_connections &
  SAMPLER=$!
  PIDS+=("$SAMPLER")
  p=$(run "$PROXY_URL")
  kill "$SAMPLER" 2>/dev/null; wait "$SAMPLER" 2>/dev/null || true
  printf '  round %d: direct %.2f s, proxy %.2f s\n' "$r" "$d" "$p"
  best_direct=$(echo "if ($d < $best_direct) $d else $best_direct" | bc -l)
  best_proxy=$(echo "if ($p < $best_proxy) $p else $best_proxy" | bc -l)
done
RSS_PEAK=$(vm VmHWM)

TOTAL_MB=$((N * SIZE_MB))
direct_mbs=$(echo "$TOTAL_MB / $best_direct" | bc -l)
proxy_mbs=$(echo "$TOTAL_MB / $best_proxy" | bc -l)
echo
printf 'downloads           %d x %d MB = %d MB\n' "$N" "$SIZE_MB" "$TOTAL_MB"
printf 'direct              %.2f s   %7.1f MB/s\n' "$best_direct" "$direct_mbs"
printf 'through the proxy   %.2f s   %7.1f MB/s\n' "$best_proxy" "$proxy_mbs"
printf 'proxy / direct      %.2f (throughput ratio)\n' "$(echo "$proxy_mbs / $direct_mbs" | bc -l)"
printf 'proxy RSS           %.1f MB idle, %.1f MB peak (VmHWM), %.2f MB per concurrent download\n' \
  "$(echo "$RSS_IDLE / 1024" | bc -l)" "$(echo "$RSS_PEAK / 1024" | bc -l)" \
  "$(echo "($RSS_PEAK - $RSS_IDLE) / 1024 / $N" | bc -l)"
printf 'upstream conns      %d at most at once (sampled every 0.1 s), for %d streams; every digest checked\n' \
  "$(sort -n "$WORK/conns" | tail -1)" "$N"
printf 'peak RSS / blob     %.3f (proxy peak RSS as a fraction of one %d MB blob)\n' \
  "$(echo "$RSS_PEAK / 1024 / $SIZE_MB" | bc -l)" "$SIZE_MB"
