#!/usr/bin/env bash
# Runs every cargo-fuzz target (fuzz/fuzz_targets/) for SECONDS each, one
# after the other, with the limits of issue 18: no input over 1 s, no RSS over
# 256 MiB, no single allocation over 256 MiB. Installs cargo-fuzz (and the
# nightly toolchain) first if missing. Each target starts from its committed
# seeds (fuzz/corpus/<target>/seed-*) plus what earlier runs added there
# (ignored by git); a crash leaves its input in fuzz/artifacts/<target>/ and
# fails the script. Ends with executions per target.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (default 60 s, every target)
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true

if ! rustup toolchain list | grep -q '^nightly'; then
  log "rustup toolchain install nightly (cargo-fuzz needs it)"
  rustup toolchain install nightly --profile minimal
fi
ensure_cargo_tool cargo-fuzz cargo-fuzz 0.13.2

cd fuzz
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi

# AddressSanitizer (cargo-fuzz's default): the core forbids `unsafe`, but its
# inflaters and hashers do not, and -malloc_limit_mb needs the sanitizer's
# allocator hooks. Debug assertions and overflow checks are on.
# ASan's quarantine of freed memory (256 MiB by default) would count against
# -rss_limit_mb; keep it small so the limit measures the code's own memory.
export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=16}

log "cargo +nightly fuzz build (${#targets[@]} targets)"
cargo +nightly fuzz build

summary=()
failed=()
for t in "${targets[@]}"; do
  log "fuzz $t for ${seconds}s"
  mkdir -p "corpus/$t"
  dict=()
  [ -f "dicts/$t.dict" ] && dict=("-dict=dicts/$t.dict")
  logfile=$(mktemp)
  if cargo +nightly fuzz run "$t" "corpus/$t" -- \
    -max_total_time="$seconds" -rss_limit_mb=256 -malloc_limit_mb=256 -timeout=1 \
    -print_final_stats=1 "${dict[@]}" >"$logfile" 2>&1; then
    status=ok
  else
    status=FAILED
    failed+=("$t")
    grep -E 'panicked at|ERROR: libFuzzer|SUMMARY|Test unit written|^thread' "$logfile" | head -20 >&2 || true
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logfile" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$logfile" | tail -1)
  summary+=("$(printf '%-12s %12s executions %8s/s  %s' "$t" "${execs:-?}" "${rate:-?}" "$status")")
  rm -f "$logfile"
done

log "executions per target (${seconds}s each, $(date -u +%Y-%m-%d))"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  log "failed: ${failed[*]} (inputs in fuzz/artifacts/)"
  exit 1
fi
