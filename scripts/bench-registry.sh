#!/usr/bin/env bash
# End-to-end benchmark of `layerlens tree` against a real local registry.
#
#   scripts/bench-registry.sh
#
# Starts /usr/bin/docker-registry on 127.0.0.1 (storage in a temp dir), pushes
# an image with one ~200 MB (uncompressed) gzip layer through the upload API
# with curl, then times, best of 3, in the same run:
#   A  curl BLOB | sha256sum                 (download + hash the blob)
#   B  curl BLOB | zcat | sha256sum          (download + inflate + hash the tar)
#   C  layerlens tree REF --format tsv       (resolve, verify manifest and config,
#                                             stream the layer: blob digest, inflate,
#                                             diff_id, tar walk, per-file sha256, merge,
#                                             listing)
# and prints MB/s of tar and the ratios C/A and C/B (>1 means layerlens is faster).
# Needs: docker-registry, curl, gzip, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_apt docker-registry curl bc gzip

work=$(mktemp -d)
trap 'kill $reg_pid 2>/dev/null || true; rm -rf "$work"' EXIT

source scripts/bench-image.sh
bench_registry_image "$work"

log "building layerlens (release)"
cargo build --quiet --release --bin layerlens
bin=target/release/layerlens

a=$(best "curl -sf $base/v2/bench/app/blobs/$blob | sha256sum")
b=$(best "curl -sf $base/v2/bench/app/blobs/$blob | zcat | sha256sum")
c=$(best "$bin tree 127.0.0.1:$port/bench/app:v1 --format tsv")

mb=$(echo "$tar_bytes / 1000000" | bc -l)
printf '\nlayer: %.1f MB tar, %.1f MB gzip\n' "$mb" "$(echo "$gz_bytes / 1000000" | bc -l)"
printf '%-44s %8s %10s\n' "command" "seconds" "MB/s tar"
printf '%-44s %8.2f %10.0f\n' "A  curl | sha256sum" "$a" "$(echo "$mb / $a" | bc -l)"
printf '%-44s %8.2f %10.0f\n' "B  curl | zcat | sha256sum" "$b" "$(echo "$mb / $b" | bc -l)"
printf '%-44s %8.2f %10.0f\n' "C  layerlens tree --format tsv" "$c" "$(echo "$mb / $c" | bc -l)"
printf 'ratio C vs A: %.2fx   C vs B: %.2fx (speed; >1 = layerlens faster)\n' "$(echo "$a / $c" | bc -l)" "$(echo "$b / $c" | bc -l)"
