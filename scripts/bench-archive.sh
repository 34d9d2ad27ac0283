#!/usr/bin/env bash
# Opening a big image archive in place: what `layerlens` reads to find the
# image in it, against the archive's size, in the same run.
#
#   scripts/bench-archive.sh [SIZE_MB]     (default 2048)
#
# Writes an OCI image layout whose three layers are uncompressed tars of
# random bytes (SIZE_MB in all), tars it with GNU tar into an oci-archive,
# then measures the bytes read from the archive (read/pread64 under strace)
# and the wall time (a second run, without strace):
#   O  layerlens platforms oci-archive:FILE  — index the members, resolve the
#      index, manifest and config (what opening the archive costs; the page
#      does the same with Blob.slice)
#   T  layerlens tree oci-archive:FILE       — the whole image streamed and
#      verified (every layer read once)
#   B  sha256sum FILE                        — the baseline: the archive read
#      once, as anything that unpacks it must
# and prints bytes, seconds and the ratios O/B, T/B.
# Needs: python3, strace, GNU tar, sha256sum.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_apt strace tar coreutils python3

size_mb=${1:-2048}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

log "writing a ${size_mb} MB layout"
python3 - "$work/layout" "$size_mb" <<'PY'
import hashlib, io, json, os, sys, tarfile
root, size_mb = sys.argv[1], int(sys.argv[2])
os.makedirs(f"{root}/blobs/sha256")
def put(data):
    d = hashlib.sha256(data).hexdigest()
    with open(f"{root}/blobs/sha256/{d}", "wb") as f:
        f.write(data)
    return d
layers = []
per = size_mb * 1024 * 1024 // 3
for i in range(3):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        info = tarfile.TarInfo(f"data/blob{i}.bin")
        info.size = per
        info.mtime = 1700000000
        t.addfile(info, io.BytesIO(os.urandom(per)))
    tar = buf.getvalue()
    d = put(tar)
    layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": f"sha256:{d}", "size": len(tar)})
config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
    "rootfs": {"type": "layers", "diff_ids": [l["digest"] for l in layers]}}).encode()
c = put(config)
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": f"sha256:{c}", "size": len(config)},
    "layers": layers}).encode()
m = put(manifest)
json.dump({"imageLayoutVersion": "1.0.0"}, open(f"{root}/oci-layout", "w"))
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
    "digest": f"sha256:{m}", "size": len(manifest), "annotations": {"org.opencontainers.image.ref.name": "v1"}}]},
    open(f"{root}/index.json", "w"))
PY
tar -C "$work/layout" -cf "$work/big.tar" .
rm -rf "$work/layout"
archive_bytes=$(stat -c %s "$work/big.tar")

log "building layerlens (release)"
cargo build --quiet --release --bin layerlens
bin=$PWD/target/release/layerlens

# Prints "BYTES SECONDS": the bytes read/pread64 returned for file
# descriptors of the archive (counted under strace), and the wall time of a
# second run without strace (strace slows every system call).
measure() {
  local trace="$work/trace" start end
  strace -f -qq -e trace=openat,read,pread64 -o "$trace" "$@" >/dev/null 2>"$work/err" || { cat "$work/err"; exit 1; }
  start=$(date +%s.%N)
  "$@" >/dev/null 2>"$work/err" || { cat "$work/err"; exit 1; }
  end=$(date +%s.%N)
  python3 - "$trace" "$work/big.tar" "$(echo "$end - $start" | bc -l)" <<'PY'
import re, sys
trace, archive, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
fds, total = {}, 0
for line in open(trace):
    m = re.search(r'openat\(.*"([^"]+)".*\) = (\d+)', line)
    if m:
        fds[(line.split()[0], m.group(2))] = m.group(1) == archive
        continue
    m = re.search(r'(read|pread64)\((\d+),.*\) = (\d+)', line)
    if m and fds.get((line.split()[0], m.group(2))):
        total += int(m.group(3))
print(total, f"{secs:.2f}")
PY
}

log "measuring (the archive is in the page cache for all three)"
cat "$work/big.tar" >/dev/null
read -r o_bytes o_secs < <(measure "$bin" platforms "oci-archive:$work/big.tar")
read -r t_bytes t_secs < <(measure "$bin" tree "oci-archive:$work/big.tar" --format tsv)
read -r b_bytes b_secs < <(measure sha256sum "$work/big.tar")

printf 'archive: %s bytes (%.1f MB), 3 layers, GNU tar\n' "$archive_bytes" "$(echo "$archive_bytes / 1000000" | bc -l)"
printf 'O  open (index + resolve):  %12s bytes read  %6s s   O/B = %.6f of the bytes\n' "$o_bytes" "$o_secs" "$(echo "$o_bytes / $b_bytes" | bc -l)"
printf 'T  tree (every layer):      %12s bytes read  %6s s   T/B = %.3f of the bytes, %.2fx the time\n' "$t_bytes" "$t_secs" "$(echo "$t_bytes / $b_bytes" | bc -l)" "$(echo "$t_secs / $b_secs" | bc -l)"
printf 'B  sha256sum (baseline):    %12s bytes read  %6s s\n' "$b_bytes" "$b_secs"
