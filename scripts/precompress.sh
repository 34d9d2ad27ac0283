#!/usr/bin/env bash
# Trunk's post-build hook (Trunk.toml): stores a brotli and a gzip copy beside
# every compressible asset of the build, so `layerlens serve` can send them by
# `Accept-Encoding` without compressing per request (src/serve/site.rs).
# index.html is left alone: serve rewrites it per response (its nonce).
# A copy that would not be smaller is not kept. brotli is optional (the
# Debian package `brotli`, installed by scripts/lib.sh); gzip is always there.
set -euo pipefail
dir="${TRUNK_STAGING_DIR:-${1:-dist}}"
for f in "$dir"/*.wasm "$dir"/*.js "$dir"/*.css "$dir"/*.svg "$dir"/*.json; do
  [ -f "$f" ] || continue
  size=$(stat -c %s "$f")
  rm -f "$f.gz" "$f.br"
  gzip -9 -n -c "$f" > "$f.gz"
  [ "$(stat -c %s "$f.gz")" -lt "$size" ] || rm -f "$f.gz"
  if command -v brotli >/dev/null 2>&1; then
    brotli -q 11 -c "$f" > "$f.br"
    [ "$(stat -c %s "$f.br")" -lt "$size" ] || rm -f "$f.br"
  fi
done
