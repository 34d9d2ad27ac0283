# Shared by the benchmark scripts: a real CNCF distribution registry on
# 127.0.0.1 holding one image with a ~200 MB (uncompressed) gzip layer.
# shellcheck shell=bash

# bench_start_registry WORKDIR
# Starts /usr/bin/docker-registry on 127.0.0.1 (storage in WORKDIR). Sets:
# port base reg_pid (the caller's EXIT trap kills $reg_pid). With
# BENCH_ACCESS_LOG=1 the registry logs every request (status and body
# bytes) to WORKDIR/registry.log.
bench_start_registry() {
  local work=$1
  local access=true
  [ "${BENCH_ACCESS_LOG:-0}" = 1 ] && access=false
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  cat > "$work/config.yml" <<EOF
version: 0.1
log: {level: error, accesslog: {disabled: $access}}
storage: {filesystem: {rootdirectory: $work/storage}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$port}
EOF
  /usr/bin/docker-registry serve "$work/config.yml" >"$work/registry.log" 2>&1 &
  reg_pid=$!
  base="http://127.0.0.1:$port"
  for _ in $(seq 50); do curl -sf "$base/v2/" >/dev/null && break; sleep 0.1; done
}

# bench_begin
# Sets work (a temporary directory), reg_pid and srv_pid, and an EXIT trap
# that stops the registry and the server the script starts and removes
# $work; then starts the registry there (see bench_start_registry).
bench_begin() {
  work=$(mktemp -d)
  reg_pid=""
  srv_pid=""
  trap 'kill $srv_pid $reg_pid 2>/dev/null || true; rm -rf "$work"' EXIT
  bench_start_registry "$work"
}

# bench_push_image WORKDIR REPO CREATED LEVEL TAR...
# Pushes the TARs, each gzipped at LEVEL (kept beside it as TAR.gz), as the
# layers of 127.0.0.1:$port/REPO:v1, base first, its config created at
# CREATED. Sets: diff_id blob (of the last layer).
bench_push_image() {
  local work=$1 repo=$2 created=$3 level=$4
  shift 4
  local diff_ids=() layers=() history=() tar
  for tar in "$@"; do
    gzip "-$level" -n -k -f "$tar"
    diff_id="sha256:$(sha256sum "$tar" | cut -d' ' -f1)"
    blob=$(_push_blob "$repo" "$tar.gz")
    diff_ids+=("\"$diff_id\"")
    layers+=("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"$blob\",\"size\":$(stat -c %s "$tar.gz")}")
    history+=('{"created_by":"bench"}')
  done
  local IFS=,
  printf '{"architecture":"amd64","os":"linux","created":"%s","config":{},"rootfs":{"type":"layers","diff_ids":[%s]},"history":[%s]}' \
    "$created" "${diff_ids[*]}" "${history[*]}" > "$work/config.json"
  local config
  config=$(_push_blob "$repo" "$work/config.json")
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},"layers":[%s]}' \
    "$config" "$(stat -c %s "$work/config.json")" "${layers[*]}" > "$work/manifest.json"
  curl -sf -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary @"$work/manifest.json" "$base/v2/$repo/manifests/v1" >/dev/null
}

# bench_push_layer WORKDIR REPO CREATED
# Pushes WORKDIR/layer.tar, gzipped, as 127.0.0.1:$port/REPO:v1 (one layer,
# its config created at CREATED). Sets: tar_bytes gz_bytes files diff_id blob.
bench_push_layer() {
  local work=$1 repo=$2 created=$3
  log "pushing"
  bench_push_image "$work" "$repo" "$created" 6 "$work/layer.tar"
  tar_bytes=$(stat -c %s "$work/layer.tar")
  gz_bytes=$(stat -c %s "$work/layer.tar.gz")
  files=$(tar -tf "$work/layer.tar" | wc -l)
}

_push_blob() { # repo file -> digest
  local digest="sha256:$(sha256sum "$2" | cut -d' ' -f1)"
  local loc
  loc=$(curl -sf -X POST -D - -o /dev/null "$base/v2/$1/blobs/uploads/" | tr -d '\r' | awk -F': ' 'tolower($1)=="location"{print $2}')
  case "$loc" in http*) ;; *) loc="$base$loc" ;; esac
  local sep='?'; [[ "$loc" == *\?* ]] && sep='&'
  curl -sf -X PUT -H 'Content-Type: application/octet-stream' --data-binary @"$2" "$loc${sep}digest=$digest" >/dev/null
  echo "$digest"
}

# bench_serve BINARY DIST WORKDIR
# Starts `BINARY serve` on 127.0.0.1:0 serving DIST and allowing the bench
# registry over plain HTTP. Sets: srv_pid server (the caller's trap kills it).
bench_serve() {
  "$1" serve --listen 127.0.0.1:0 --dist "$2" --insecure-registry "127.0.0.1:$port" \
    >"$3/serve.out" 2>/dev/null &
  srv_pid=$!
  for _ in $(seq 100); do grep -q 'serving' "$3/serve.out" 2>/dev/null && break; sleep 0.1; done
  server=$(sed -n 's|^layerlens: serving \(http://[^/]*\)/.*|\1|p' "$3/serve.out" | head -1)
  [ -n "$server" ] || { echo "layerlens serve did not start"; exit 1; }
}

# bench_registry_image WORKDIR [MB]
# Starts the registry and pushes 127.0.0.1:$port/bench/app:v1 with one
# gzip layer of about MB (default 200) megabytes of tar. Sets what
# bench_start_registry and bench_push_layer set.
bench_registry_image() {
  local work=$1 mb=${2:-200}
  bench_start_registry "$work"
log "building a ~$mb MB layer"
python3 - "$work" "$mb" <<'PY'
import os, random, sys, tarfile, io
work = sys.argv[1]
limit = int(sys.argv[2]) * 1_000_000
rng = random.Random(42)
words = [bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9))) for _ in range(4000)]
def text(n):
    out = bytearray()
    while len(out) < n:
        out += b" ".join(rng.choice(words) for _ in range(64)) + b"\n"
    return bytes(out[:n])
with tarfile.open(os.path.join(work, "layer.tar"), "w", format=tarfile.PAX_FORMAT) as t:
    total = 0
    i = 0
    while total < limit:
        if i % 500 == 499:
            size = 8_000_000
            data = rng.randbytes(size // 2) + text(size // 2)
        else:
            size = rng.randint(100, 20_000)
            data = text(size)
        info = tarfile.TarInfo(f"usr/share/bench/d{i // 1000}/f{i}.txt")
        info.size = len(data)
        info.mtime = 1_700_000_000
        t.addfile(info, io.BytesIO(data))
        total += len(data)
        i += 1
PY
  bench_push_layer "$work" bench/app 2024-01-01T00:00:00Z
}

# best COMMAND: the best wall-clock seconds of 3 runs of a shell command.
best() { # command... -> best wall seconds of 3
  local best=999999
  for _ in 1 2 3; do
    local s e t
    s=$(date +%s.%N)
    bash -c "$1" >/dev/null
    e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc -l)
    if (( $(echo "$t < $best" | bc -l) )); then best=$t; fi
  done
  echo "$best"
}
