#!/usr/bin/env bash
# recipes.sh measures the flowers presets the README quotes, one after the
# other on a quiet machine: flowers-scratch on flowers10, then
# flowers92-pretrain on flowers92 (an 18-minute budget) and flowers-transfer
# from its best weights on flowers10. It prints each run's wall time, best
# and final validation accuracy with their 95 % intervals, and reslab compare
# over the two flowers10 runs.
#
#   benchmarks/recipes.sh                 # all three, about 24 minutes on two cores
#   ONLY=transfer benchmarks/recipes.sh   # the pretrain and transfer steps only
#
# DATA defaults to ../shared/data beside the repository; TAGS=openblas for
# the OpenBLAS build.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${DATA:-$ROOT/../shared/data}
WORK=${WORK:-$(mktemp -d /tmp/reslab-recipes.XXXXXX)}
(cd "$ROOT" && go build -tags "${TAGS:-}" -o "$WORK/reslab" ./cmd/reslab)
B="$WORK/reslab"
R="$WORK/runs"

# train NAME ARGS...: a run, timed; prints the run id last.
train() {
  local name=$1 start id
  shift
  start=$(date +%s)
  id=$("$B" train --no-tui --runs "$R" --name "$name" "$@" 2>/dev/null | tail -1)
  echo "== $name: $id, $(($(date +%s) - start)) s wall" >&2
  "$B" show --runs "$R" "$id" | grep -E "best epoch" >&2
  "$B" show --runs "$R" --json "$id" | python3 -c '
import json, sys
r = json.load(sys.stdin); m = r["metrics"][-1]; n = r["meta"]["valid_images"]
print("   final epoch %d: val_acc %.1f%% (%d of %d images)" % (m["epoch"], 100*m["val_acc"], round(m["val_acc"]*n), n))' >&2
  echo "$id"
}

ids=()
if [[ ${ONLY:-} != transfer ]]; then
  ids+=("$(train flowers-scratch --preset flowers-scratch --data "$DATA/flowers10")")
fi
pre=$(train flowers92-pretrain --preset flowers92-pretrain --data "$DATA/flowers92")
ids+=("$(train flowers-transfer --preset flowers-transfer --data "$DATA/flowers10" --weights "$R/$pre/best.safetensors")")
if ((${#ids[@]} > 1)); then
  "$B" compare --runs "$R" "${ids[@]}" | tail -4
fi
echo "runs kept in $R"
