#!/usr/bin/env bash
# transfer.sh reproduces the README's "Transfer without ImageNet weights"
# figures: a ResNet-18 (the quick preset: width 16, 64 px) pretrained for 15
# epochs on flowers92, then flowers10 trained from scratch, fine-tuned from
# the pretrained backbone and with it frozen (8 epochs each, seed 1), and
# reslab compare over the three (best validation accuracy, seconds per
# epoch, McNemar's p against scratch).
#
#   benchmarks/transfer.sh            # DATA defaults to ../shared/data beside the repository
#
# About 5 minutes on two cores. The default (pure-Go) build; TAGS=openblas
# for the OpenBLAS one.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${DATA:-$ROOT/../shared/data}
WORK=$(mktemp -d /tmp/reslab-transfer.XXXXXX)
(cd "$ROOT" && go build -tags "${TAGS:-}" -o "$WORK/reslab" ./cmd/reslab)
B="$WORK/reslab"
R="$WORK/runs"
start=$(date +%s)
pre=$("$B" train --no-tui --runs "$R" --data "$DATA/flowers92" --epochs 15 --name f92-pretrain | tail -1)
echo "pretrained $pre in $(( $(date +%s) - start )) s"
"$B" show --runs "$R" "$pre" | sed -n 1,2p
scratch=$("$B" train --no-tui --runs "$R" --data "$DATA/flowers10" --name scratch | tail -1)
fine=$("$B" train --no-tui --runs "$R" --data "$DATA/flowers10" --mode finetune --weights "$R/$pre/best.safetensors" --name finetune | tail -1)
frozen=$("$B" train --no-tui --runs "$R" --data "$DATA/flowers10" --mode frozen --weights "$R/$pre/best.safetensors" --name frozen | tail -1)
"$B" compare --runs "$R" "$scratch" "$fine" "$frozen" | tail -6
echo "runs kept in $R"
