#!/usr/bin/env bash
# Bytes transferred with tables of contents (issue 13), against a real
# local registry.
#
#   scripts/bench-toc.sh [MB]      (default 320 MB of tar)
#
# Starts /usr/bin/docker-registry on 127.0.0.1 with its access log on,
# pushes one gzip layer of about MB megabytes of tar, recompresses it with
# skopeo as zstd:chunked (a fresh registry address, so skopeo's blob-info
# cache cannot substitute the gzip blob; the media type is asserted), then
# in the same run, counting the layer-blob bytes the registry sent:
#   A  layerlens tree REF --verify full      (the whole blob streamed)
#   T  layerlens tree REF --verify toc       (the table of contents only)
#   F  layerlens cat REF LAST --verify toc   (the layer's last file, by Range)
# and prints bytes and seconds (best of 3) with T/A as a share of the layer.
# Needs: docker-registry, skopeo, curl, gzip, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_apt docker-registry skopeo curl bc gzip

work=$(mktemp -d)
trap 'kill $reg_pid 2>/dev/null || true; rm -rf "$work"' EXIT

export BENCH_ACCESS_LOG=1
source scripts/bench-image.sh
bench_registry_image "$work" "${1:-320}"
last=$(tar -tf "$work/layer.tar" | tail -1)
last_size=$(tar -tvf "$work/layer.tar" | tail -1 | awk '{print $3}')

log "recompressing as zstd:chunked with skopeo"
skopeo --insecure-policy copy --src-tls-verify=false --dest-tls-verify=false \
  --dest-compress-format zstd:chunked \
  "docker://127.0.0.1:$port/bench/app:v1" "docker://127.0.0.1:$port/bench/chunked:v1" >/dev/null
manifest=$(curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' "$base/v2/bench/chunked/manifests/v1")
echo "$manifest" | grep -q 'tar+zstd' || { echo "skopeo did not write zstd: $manifest"; exit 1; }
echo "$manifest" | grep -q 'zstd-chunked.manifest-position' || { echo "no table of contents: $manifest"; exit 1; }
layer=$(echo "$manifest" | python3 -c 'import json,sys; l=json.load(sys.stdin)["layers"][0]; print(l["digest"], l["size"])')
digest=${layer% *}
size=${layer#* }

log "building layerlens (release)"
cargo build --quiet --release --bin layerlens
bin=target/release/layerlens
ref=127.0.0.1:$port/bench/chunked:v1

# bytes COMMAND: the layer-blob body bytes the registry sent while it ran.
bytes() {
  local from
  from=$(wc -l < "$work/registry.log")
  bash -c "$1" >/dev/null
  sleep 0.2
  tail -n +"$((from + 1))" "$work/registry.log" | grep "/blobs/$digest" |
    sed -n 's/.*" \([0-9][0-9][0-9]\) \([0-9-]*\) ".*/\2/p' | awk '{s += $1} END {print s + 0}'
}

# skopeo 1.9 can write a zstd:chunked stream whose tar differs from the
# diff_id it keeps (it rewrites headers): the full scan then reports a
# diff_id mismatch (exit 1), after streaming the whole blob all the same.
full="$bin tree $ref --verify full --format tsv 2>/dev/null || true"
toc="$bin tree $ref --verify toc --format tsv"
cat_last="$bin cat $ref /$last --verify toc"
$cat_last | cmp - <(tar -xOf "$work/layer.tar" "$last") || { echo "cat gave other bytes"; exit 1; }
listed=$($toc 2>/dev/null | grep -c 'usr/share/bench/d[0-9]*/f' || true)
[ "$listed" -ge "$files" ] || { echo "the table listed $listed of $files files"; exit 1; }

a_bytes=$(bytes "$full")
t_bytes=$(bytes "$toc")
f_bytes=$(bytes "$cat_last")
a=$(best "$full")
t=$(best "$toc")
f=$(best "$cat_last")

printf '\nlayer: %.1f MB tar, %.1f MB zstd:chunked (%s)\n' \
  "$(echo "$tar_bytes / 1000000" | bc -l)" "$(echo "$size / 1000000" | bc -l)" "$digest"
printf '%-46s %14s %9s %8s\n' "command" "bytes sent" "of layer" "seconds"
row() { printf '%-46s %14d %8.3f%% %8.2f\n' "$1" "$2" "$(echo "$2 * 100 / $size" | bc -l)" "$3"; }
row "A  tree --verify full" "$a_bytes" "$a"
row "T  tree --verify toc" "$t_bytes" "$t"
row "F  cat LAST --verify toc ($last_size B file)" "$f_bytes" "$f"
printf 'ratio A/T: %.0fx fewer bytes, %.1fx faster\n' \
  "$(echo "$a_bytes / $t_bytes" | bc -l)" "$(echo "$a / $t" | bc -l)"
