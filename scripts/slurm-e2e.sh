#!/usr/bin/env bash
# slurm-e2e.sh proves reslab's Slurm path against real Slurm: it starts a
# single-node cluster on this machine as root (munged with a fresh key,
# slurmctld and slurmd from Debian's slurm-wlm with a minimal slurm.conf),
# submits a small sweep (two depths × two seeds on tiny generated images)
# as a job array, requeues one task mid-run with `scontrol requeue`, waits,
# and checks that every run completed with all its epochs, that the
# requeued task continued from its checkpoint instead of starting over, and
# that `reslab sweep show` reports the comparison; then cancels a second
# sweep mid-run (`reslab sweep cancel`) and completes it with `reslab sweep
# resume --slurm`. The daemons are stopped
# by their pids afterwards, whatever happens.
#
# Usage: scripts/slurm-e2e.sh [WORKDIR]   (as root; about 30 seconds)
set -euo pipefail
cd "$(dirname "$0")/.."

if ((EUID != 0)); then
	echo "slurm-e2e: run as root (it starts munged, slurmctld and slurmd)" >&2
	exit 1
fi

WORK=${1:-$(mktemp -d /tmp/reslab-slurm.XXXXXX)}
mkdir -p "$WORK"/data
WORK=$(cd "$WORK" && pwd)
FAILS=0
fail() {
	echo "FAIL $*" >&2
	FAILS=$((FAILS + 1))
}
trap 'scripts/slurm-cluster.sh stop "$WORK/cluster"' EXIT

echo "== build reslab"
go build -o "$WORK/reslab" ./cmd/reslab

echo "== a single-node cluster (scripts/slurm-cluster.sh)"
scripts/slurm-cluster.sh start "$WORK/cluster"
export SLURM_CONF=$WORK/cluster/slurm.conf

echo "== tiny images: 3 classes, 20 each"
python3 - "$WORK/data" <<'PY'
import os, struct, sys, zlib
root = sys.argv[1]
def png(path, w, h, rgb):
    raw = b"".join(b"\x00" + bytes(rgb) * w for _ in range(h))
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
for c, base in enumerate([(200, 40, 40), (40, 200, 40), (40, 40, 200)]):
    d = os.path.join(root, "class%d" % (c + 1))
    os.makedirs(d, exist_ok=True)
    for i in range(20):
        png(os.path.join(d, "%02d.png" % i), 24, 24, [min(255, v + 3 * i) for v in base])
PY

RUNS=$WORK/runs
EPOCHS=20
echo "== submit: 2 depths x 2 seeds, $EPOCHS epochs each, as a job array"
"$WORK/reslab" sweep --runs "$RUNS" --data "$WORK/data" --preset quick --width 8 --size 64 --batch 8 --epochs $EPOCHS \
	--grid arch=resnet18,resnet34 --seeds 2 --name e2e --slurm --cpus 1 --mem 1G --time 20m | tee "$WORK/submit.txt"
JOB=$(awk '/submitted slurm job/ {print $4}' "$WORK/submit.txt" | tr -d :)
[[ -n $JOB ]] || {
	fail "no job id in the submission"
	exit 1
}
grep -q -- "--array=0-3" "$RUNS/sweeps/e2e/sweep-1.sbatch" || fail "the sbatch script is not an array of 4 tasks"

# Requeue task 0 once it has trained a few epochs: Slurm signals it, the
# run saves its checkpoint, and the requeued task must resume it.
echo "== wait for task 0 to train 3 epochs, then scontrol requeue it"
requeued=""
for _ in $(seq 240); do
	id0=$("$WORK/reslab" sweep show e2e --runs "$RUNS" --json 2>/dev/null |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["runs"][0].get("run", ""))' 2>/dev/null || true)
	run0=${id0:+$RUNS/$id0}
	if [[ -n $run0 && -f $run0/metrics.jsonl ]] && (($(wc -l <"$run0/metrics.jsonl") >= 3)); then
		scontrol requeue "${JOB}_0"
		# A requeued job waits two minutes before it is eligible again;
		# the test need not.
		sleep 1
		scontrol update JobId="${JOB}_0" StartTime=now || true
		requeued=$run0
		echo "   requeued ${JOB}_0 after $(wc -l <"$run0/metrics.jsonl") epochs of $run0"
		break
	fi
	sleep 0.5
done
[[ -n $requeued ]] || fail "task 0 never reached 3 epochs"

echo "== wait for the array to finish"
for _ in $(seq 600); do
	if [[ -z $(squeue -h -j "$JOB" 2>/dev/null) ]]; then break; fi
	sleep 1
done
[[ -z $(squeue -h -j "$JOB" 2>/dev/null) ]] || fail "the job array is still queued or running after 10 minutes"

"$WORK/reslab" sweep show e2e --runs "$RUNS" --each | tee "$WORK/show.txt"
"$WORK/reslab" sweep show e2e --runs "$RUNS" --json >"$WORK/show.json"
python3 - "$WORK/show.json" "$EPOCHS" <<'PY' || FAILS=$((FAILS + 1))
import json, sys
d = json.load(open(sys.argv[1]))
epochs = int(sys.argv[2])
bad = [r for r in d["runs"] if r["state"] != "completed"]
if bad:
    sys.exit("FAIL runs not completed: %s" % bad)
if d["report"]["counts"]["done"] != 4:
    sys.exit("FAIL %d of 4 runs done" % d["report"]["counts"]["done"])
if not d["report"]["comparisons"]:
    sys.exit("FAIL no comparison between the arms")
print("   4/4 runs completed; verdict:", d["report"]["verdict"])
PY
for d in "$RUNS"/*/; do
	[[ -f $d/metrics.jsonl ]] || continue
	n=$(wc -l <"$d/metrics.jsonl")
	((n == EPOCHS)) || fail "$d has $n epochs, want $EPOCHS"
done
grep -q "verdict:" "$WORK/show.txt" || fail "sweep show printed no verdict"
grep -q "paired on the same images" "$WORK/show.txt" || fail "sweep show printed no comparison"
# The requeued task resumed its run: its log says so, and no second run
# folder was made for index 0.
if [[ -n $requeued ]]; then
	grep -q "resumed at epoch" "$RUNS"/sweeps/e2e/logs/"${JOB}"_0.out || fail "the requeued task did not resume from its checkpoint (log ${JOB}_0.out)"
	id0=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["runs"][0]["run"])' "$WORK/show.json")
	[[ $RUNS/$id0 == "$requeued" ]] || fail "task 0 finished in $id0, not in the run it was requeued from ($requeued)"
	n=$(ls -d "$RUNS"/*/ | grep -vc '/sweeps/$' || true)
	((n == 4)) || fail "$n run folders, want 4 (a requeued task resumes its run, not a new one)"
fi

# Cancel and resume: a second sweep is cancelled while it trains (scancel
# through `reslab sweep cancel`), keeps its checkpoints, and a resubmission
# of what is left completes it.
echo "== sweep cancel, then sweep resume --slurm"
"$WORK/reslab" sweep --runs "$RUNS" --data "$WORK/data" --preset quick --width 8 --size 64 --batch 8 --epochs 40 \
	--seeds 2 --name e2e-cancel --slurm --cpus 1 --mem 1G --time 20m >"$WORK/submit2.txt"
JOB2=$(awk '/submitted slurm job/ {print $4}' "$WORK/submit2.txt" | tr -d :)
for _ in $(seq 120); do
	n=$(cat "$RUNS"/*/metrics.jsonl 2>/dev/null | wc -l)
	((n >= 4 * EPOCHS + 4)) && break # some epochs of the new sweep
	sleep 0.5
done
"$WORK/reslab" sweep cancel e2e-cancel --runs "$RUNS" | sed 's/^/   /'
for _ in $(seq 60); do
	[[ -z $(squeue -h -j "$JOB2" 2>/dev/null) ]] && break
	sleep 0.5
done
[[ -z $(squeue -h -j "$JOB2" 2>/dev/null) ]] || fail "sweep cancel left job $JOB2 queued or running"
"$WORK/reslab" sweep show e2e-cancel --runs "$RUNS" --json >"$WORK/cancel.json"
python3 - "$WORK/cancel.json" <<'PY' || FAILS=$((FAILS + 1))
import json, sys
d = json.load(open(sys.argv[1]))
states = [r["state"] for r in d["runs"]]
if "completed" in states and all(s == "completed" for s in states):
    sys.exit("FAIL every run completed before the cancel took effect: %s" % states)
print("   after the cancel:", states)
PY
"$WORK/reslab" sweep resume e2e-cancel --runs "$RUNS" --slurm --cpus 1 --mem 1G --time 20m | sed 's/^/   /'
JOB3=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["slurm"][-1]["job_id"])' "$RUNS/sweeps/e2e-cancel.json")
[[ $JOB3 != "$JOB2" ]] || fail "sweep resume --slurm recorded no new job"
for _ in $(seq 600); do
	[[ -z $(squeue -h -j "$JOB3" 2>/dev/null) ]] && break
	sleep 1
done
"$WORK/reslab" sweep show e2e-cancel --runs "$RUNS" >"$WORK/show2.txt"
grep -q "2/2 done" "$WORK/show2.txt" || fail "the resumed sweep did not complete: $(head -1 "$WORK/show2.txt")"

if ((FAILS > 0)); then
	echo "slurm-e2e: $FAILS checks failed (work in $WORK, logs in $WORK/cluster/log)" >&2
	exit 1
fi
echo "slurm-e2e: all checks passed (job $JOB; work in $WORK)"
