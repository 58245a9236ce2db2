#!/usr/bin/env bash
# Side-by-side speed and memory of reslab and PyTorch on this machine.
#
# For each configuration it runs reslab and PyTorch alternately (A B A B …),
# each in a fresh process, and prints per configuration the median seconds per
# batch of each, the median of the per-pair ratios reslab ÷ PyTorch, and both
# peak RSS figures. Alternating pairs cancel most of the drift of a shared
# machine; the ratio of each pair is taken before the median.
#
#   benchmarks/compare.sh                      # the issue's table (batch 8)
#   PAIRS=5 CONFIGS="resnet18:64:train" TAGS= benchmarks/compare.sh
#   TAGS=dnnl A="--conv dnnl" VS="--conv reslab" benchmarks/compare.sh
#
# A adds flags to reslab's runs. VS, when set, replaces PyTorch with reslab
# itself run with those flags: two ways of one build, compared the same way.
#
# Needs Debian's python3-torch and python3-torchvision; builds reslab with
# -tags "$TAGS" (default openblas, which needs libopenblas-dev).
set -euo pipefail
cd "$(dirname "$0")/.."

PAIRS=${PAIRS:-3}
BATCH=${BATCH:-8}
TAGS=${TAGS-openblas}
CONFIGS=${CONFIGS:-"resnet18:64:train resnet18:128:train resnet18:224:train resnet50:128:train resnet50:224:train resnet18:64:infer resnet18:128:infer resnet18:224:infer resnet50:128:infer resnet50:224:infer resnet50:224:frozen"}
PY=/usr/bin/python3
A=${A:-}
VS=${VS-}

bin=$(mktemp -d)/reslab
go build -tags "$TAGS" -o "$bin" ./cmd/reslab
out=$(mktemp)

for cfg in $CONFIGS; do
  IFS=: read -r arch size mode <<<"$cfg"
  for ((i = 0; i < PAIRS; i++)); do
    # shellcheck disable=SC2086 # A and VS are lists of flags
    a=$("$bin" bench --json --arch "$arch" --size "$size" --batch "$BATCH" --mode "$mode" --steps 3 $A)
    if [ -n "$VS" ]; then
      # shellcheck disable=SC2086
      b=$("$bin" bench --json --arch "$arch" --size "$size" --batch "$BATCH" --mode "$mode" --steps 3 $VS)
    else
      b=$($PY tools/torchref/bench.py --json --arch "$arch" --size "$size" --batch "$BATCH" --mode "$mode" --steps 3)
    fi
    echo "$cfg $a $b" >>"$out"
  done
done

$PY - "$out" "${VS:+reslab $VS}" "reslab${A:+ $A}" <<'PY'
import json, statistics, sys
other, ours = sys.argv[2] or "PyTorch", sys.argv[3]
rows = {}
for line in open(sys.argv[1]):
    cfg, rest = line.split(" ", 1)
    dec = json.JSONDecoder()
    a, end = dec.raw_decode(rest.strip())
    b, _ = dec.raw_decode(rest.strip()[end:].strip())
    rows.setdefault(cfg, []).append((a, b))
print(f"| network, input, mode | {ours} s/batch | {other} s/batch | ratio (median of pairs) | {ours} RSS | {other} RSS | RSS ratio |")
print("|---|---|---|---|---|---|---|")
for cfg, pairs in rows.items():
    arch, size, mode = cfg.split(":")
    ra = statistics.median(p[0]["sec_per_batch"] for p in pairs)
    rb = statistics.median(p[1]["sec_per_batch"] for p in pairs)
    ratio = statistics.median(p[0]["sec_per_batch"] / p[1]["sec_per_batch"] for p in pairs)
    ma = max(p[0]["peak_rss_bytes"] for p in pairs) / 1e9
    mb = max(p[1]["peak_rss_bytes"] for p in pairs) / 1e9
    print(f"| {arch}, {size} px, {mode} | {ra:.3f} | {rb:.3f} | {ratio:.2f}× | {ma:.2f} GB | {mb:.2f} GB | {ma/mb:.2f}× |")
print(f"\n{ours}: {pairs[0][0]['blas']}, convolutions {pairs[0][0].get('convolutions', 'reslab')}; {other}: {pairs[0][1]['blas']}; {len(pairs)} pairs per row")
PY
