#!/usr/bin/env bash
# Whole epochs of one recipe in reslab and in PyTorch with its DataLoader
# (tools/torchref/epoch.py --recipe: the same network, head, optimiser,
# schedule, loss and augmentation), one after the other, with each side's
# peak RSS, reslab's wait for data and its JPEG decoder (RESLAB_JPEG=go:
# reslab's own instead of libjpeg-turbo). RECIPE is keras-tutorial (the frozen
# reference workflow: ResNet-50, 224 px, flatten head 512,64, batch 32), quick
# or flowers-scratch. These are the README's and docs/performance.md's
# whole-epoch figures.
#
#   benchmarks/epochs.sh                    # keras-tutorial, 2 epochs each, default pure-Go build
#   RECIPE=quick EPOCHS=3 benchmarks/epochs.sh
#   TAGS=openblas benchmarks/epochs.sh
#   AUGMENT=off benchmarks/epochs.sh        # reslab caches the backbone's features
#
# Needs Debian's python3-torch and python3-torchvision, and ../shared/data.
set -euo pipefail
cd "$(dirname "$0")/.."

RECIPE=${RECIPE:-keras-tutorial}
EPOCHS=${EPOCHS:-2}
TAGS=${TAGS-}
AUGMENT=${AUGMENT:-on}
DATA=${DATA:-../shared/data/flowers10}
PY=/usr/bin/python3

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -tags "$TAGS" -o "$tmp/reslab" ./cmd/reslab

/usr/bin/time -f '%M' -o "$tmp/rss" "$tmp/reslab" train --runs "$tmp/runs" --preset "$RECIPE" --data "$DATA" \
  --epochs "$EPOCHS" --augment "$AUGMENT" --no-tui >"$tmp/reslab.out" 2>&1
run=$(tail -1 "$tmp/reslab.out")
"$tmp/reslab" show --runs "$tmp/runs" --json "$run" >"$tmp/reslab.json"

pyflags=()
[ "$AUGMENT" = off ] && pyflags+=(--no-augment)
/usr/bin/time -f '%M' -o "$tmp/pyrss" $PY tools/torchref/epoch.py --recipe "$RECIPE" --data "$DATA" --epochs "$EPOCHS" --json "${pyflags[@]}" >"$tmp/torch.json"

$PY - "$tmp" "$TAGS" "$AUGMENT" "$RECIPE" <<'PY'
import json, sys, os
tmp, tags, augment, recipe = sys.argv[1], sys.argv[2] or "pure Go", sys.argv[3], sys.argv[4]
r = json.load(open(os.path.join(tmp, "reslab.json")))
t = json.load(open(os.path.join(tmp, "torch.json")))
rr = int(open(os.path.join(tmp, "rss")).read().split()[-1]) / 1e6
tr = int(open(os.path.join(tmp, "pyrss")).read().split()[-1]) / 1e6
re = [m["seconds"] for m in r["metrics"]]
wait = [m.get("data_wait_seconds", 0) for m in r["metrics"]]
dec = r.get("meta", {}).get("jpeg_decoder") or "?"
print(f"{recipe}, augmentation {augment}, reslab build: {tags}, JPEGs decoded with {dec}")
print("| | " + " | ".join(f"epoch {i+1}" for i in range(len(re))) + " | peak RSS |")
print("|---|" + "---|" * (len(re) + 1))
print("| reslab | " + " | ".join(f"{s:.1f} s ({w:.1f} s waiting for data)" for s, w in zip(re, wait)) + f" | {rr:.2f} GB |")
print("| PyTorch | " + " | ".join(f"{s:.1f} s" for s in t["epoch_seconds"]) + f" | {tr:.2f} GB (main process) |")
print("| PyTorch ÷ reslab | " + " | ".join(f"{p / s:.2f}×" for s, p in zip(re, t["epoch_seconds"])) + " | |")
PY
