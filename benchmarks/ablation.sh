#!/usr/bin/env bash
# ablation.sh shows whether each training tool helps on flowers10: the
# flowers-scratch recipe shortened to EPOCHS epochs (default 20) as the
# baseline, then one run per tool with only that tool changed (same seed,
# same epochs), each compared with the baseline on the same 43 validation
# images (McNemar's exact test on the best epochs' predictions). It prints
# a Markdown table: best and last validation accuracy with their 95 %
# Wilson intervals, the wall time and p against the baseline.
#
#   benchmarks/ablation.sh        # 8 runs, about 20 minutes on two cores
#
# DATA defaults to ../shared/data beside the repository.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${DATA:-$ROOT/../shared/data}
EPOCHS=${EPOCHS:-20}
WORK=${WORK:-$(mktemp -d /tmp/reslab-ablation.XXXXXX)}
(cd "$ROOT" && go build -o "$WORK/reslab" ./cmd/reslab)
B="$WORK/reslab"
R="$WORK/runs"
BASE=(--preset flowers-scratch --data "$DATA/flowers10" --epochs "$EPOCHS")

# row NAME ARGS...: trains the variant and prints its table row.
row() {
	local name=$1 start secs id
	shift
	start=$(date +%s)
	id=$("$B" train --no-tui --runs "$R" --name "$name" "${BASE[@]}" "$@" 2>/dev/null | tail -1)
	secs=$(($(date +%s) - start))
	local p="(baseline)"
	if [[ -n ${BASELINE:-} ]]; then
		p=$("$B" compare --runs "$R" --json "$BASELINE" "$id" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print("%.2g" % d["runs"][1]["versus_first"]["p_value"])' 2>/dev/null || echo "?")
	fi
	"$B" show --runs "$R" --json "$id" | python3 -c '
import json, sys
r = json.load(sys.stdin); n = r["meta"]["valid_images"]; ms = r["metrics"]
best = max(ms, key=lambda m: m["val_acc"]); last = ms[-1]
def wilson(k, n, z=1.959963984540054):
    p = k / n; d = 1 + z*z/n; c = (p + z*z/(2*n)) / d
    h = z * ((p*(1-p)/n + z*z/(4*n*n)) ** 0.5) / d
    return 100*max(c-h, 0), 100*min(c+h, 1)
def fmt(m):
    k = round(m["val_acc"] * n); lo, hi = wilson(k, n)
    return "%.1f %% (%d/%d; %.1f–%.1f)" % (100*m["val_acc"], k, n, lo, hi)
print("| %s | %s at epoch %d | %s | %s s | %s |" % (sys.argv[1], fmt(best), best["epoch"], fmt(last), sys.argv[2], sys.argv[3]))
' "$name" "$secs" "$p"
	echo "$id" >"$WORK/last-id"
}

echo "| run | best val acc | last val acc | wall | McNemar p vs baseline |"
echo "|---|---|---|---|---|"
row "flowers-scratch, $EPOCHS epochs"
BASELINE=$(cat "$WORK/last-id")
row "no label smoothing" --label-smoothing 0
row "no random-resized crop" --crop-scale off
row "constant rate, no warm-up" --schedule constant --warmup-epochs 0
row "no weight decay" --weight-decay 0
row "EMA 0.99" --ema 0.99
row "TTA flip" --tta flip
row "SGD Nesterov 0.05 instead of AdamW" --optimizer sgd --momentum 0.9 --nesterov --lr 0.05 --weight-decay 5e-4
