#!/usr/bin/env bash
# tui-e2e.sh drives the real reslab lab in tmux on the built-in demo data,
# through setup → a short depth sweep (two runs) → runs → details → compare
# (saved and reopened) → predict → a run stopped by q, at each terminal size
# given, and captures every screen to text files. It fails (exit 1) when a
# screen lacks what a user must see there.
#
#   scripts/tui-e2e.sh [OUTDIR]        sizes from $SIZES (default "80x24 200x50")
#
# Needs tmux and go. Each size trains tiny runs (width 8, 64 px): a sweep of
# two of 3 epochs, one of 40 that q stops and the lab resumes, and one of 8;
# well under a minute on two cores.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$(mktemp -d /tmp/reslab-e2e.XXXXXX)}
SIZES=${SIZES:-"80x24 200x50"}
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/reslab-e2e-work.XXXXXX)
BIN=$WORK/reslab
SESSION=reslab-e2e-$$

command -v tmux >/dev/null || { echo "tui-e2e: tmux is not installed" >&2; exit 1; }
(cd "$ROOT" && go build -o "$BIN" ./cmd/reslab)

cleanup() { tmux kill-session -t "$SESSION" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

failures=0
size=""
fail() {
	echo "FAIL [$size] $*" >&2
	failures=$((failures + 1))
}

pane() { tmux capture-pane -p -t "$SESSION" 2>/dev/null || true; }

# keys sends tmux key names or text, then lets the lab redraw. Escape is
# followed by a pause so the next key is not read as alt+key.
keys() {
	for k in "$@"; do
		tmux send-keys -t "$SESSION" "$k"
		if [[ $k == Escape ]]; then sleep 0.4; else sleep 0.12; fi
	done
	sleep 0.3
}

# text types literal text.
text() { tmux send-keys -t "$SESSION" -l "$1"; sleep 0.3; }

# wait_for TEXT [SECONDS]: until the screen shows TEXT.
wait_for() {
	local want=$1 secs=${2:-30} i
	for ((i = 0; i < secs * 5; i++)); do
		if pane | grep -qF -- "$want"; then return 0; fi
		sleep 0.2
	done
	fail "timed out waiting for '$want'; the screen was:"
	pane >&2
	return 1
}

# capture NAME TEXT...: save the screen and check it shows every TEXT.
capture() {
	local name=$1
	shift
	local file=$OUT/$size-$name.txt
	pane >"$file"
	tmux capture-pane -e -p -t "$SESSION" >"$OUT/$size-$name.ansi" 2>/dev/null || true
	for want in "$@"; do
		grep -qF -- "$want" "$file" || fail "$name: missing '$want' (see $file)"
	done
	# No log line may land on the screen.
	if grep -qE 'level=(INFO|WARN|ERROR|DEBUG)|^time=' "$file"; then
		fail "$name: a log line is on the screen (see $file)"
	fi
	local lines
	lines=$(wc -l <"$file")
	((lines <= ${size#*x})) || fail "$name: $lines lines on a ${size#*x}-line terminal"
}

# start_lab runs the lab as a user's terminal would: CI systems set CI,
# which termenv reads as "not a terminal" (no colour, no image), and a
# NO_COLOR in the caller's environment would do the same; the NO_COLOR
# check below passes it explicitly.
start_lab() { # start_lab W H [ENV...]
	local w=$1 h=$2
	shift 2
	tmux kill-session -t "$SESSION" 2>/dev/null || true
	tmux new-session -d -s "$SESSION" -x "$w" -y "$h" \
		"env -u CI -u NO_COLOR -u CLICOLOR -u CLICOLOR_FORCE TERM=xterm-256color COLORTERM=truecolor $* $BIN --runs $RUNS 2>>$WORK/stderr; echo exit=\$? >$WORK/exit; sleep 30"
	sleep 0.5
}

lab_exited() { # lab_exited SECONDS: the binary has returned
	local i
	for ((i = 0; i < $1 * 5; i++)); do
		[[ -s $WORK/exit ]] && return 0
		sleep 0.2
	done
	return 1
}

for size in $SIZES; do
	W=${size%x*}
	H=${size#*x}
	RUNS=$WORK/runs-$size
	rm -f "$WORK/exit"
	echo "== $size: runs in $RUNS, captures in $OUT"
	start_lab "$W" "$H"

	# 1. Setup: the form, the estimate, live validation.
	wait_for "demo data: 6 classes" 30 || continue
	capture setup "network" "parameters" "memory" "peak" "time" "data folder" "preset" "depth" "enter: train"
	# The focus starts on the preset; width and size are the 3rd and 4th
	# fields below it.
	keys Down Down C-u; text 8
	keys Down C-u; text 64
	keys Down Down Down Down Down Down Down Down C-u; text 0 # epochs 0
	capture setup-invalid "want 1 to 10000" "fix the marked settings"
	keys C-u; text 3
	keys C-End Up Up Up # the name: the last field is sweep folds, after depth sweep and sweep seeds
	text "e2e"
	capture setup-scrolled "› name" "e2e"
	if ((H < 40)); then grep -qF "↑ more" "$OUT/$size-setup-scrolled.txt" || fail "setup-scrolled: the form did not scroll"; fi
	keys Down # the depth sweep, the last field
	text "18,34"
	capture setup-sweep "depth sweep" "18,34" "enter: sweep r18, r34"
	# Digits typed into a field are text: the help bar says ctrl+c quits,
	# not q, and does not offer 1-5.
	if pane | grep -qF "1-5 screens"; then fail "setup-sweep: the help bar offers 1-5 while a field takes digits"; fi

	# 2. Training: the dashboard while the first run trains.
	keys Enter
	wait_for "epoch 2/3 " 60 || continue
	wait_for "ETA" 10 || continue
	# The waits above saw the ETA and the rate; the capture may land while
	# an epoch validates, which shows neither. Either run of the sweep: the first may end while the waits look for
	# an ETA (it has none while it validates), and the second be live.
	capture run-live "epoch " "loss by" "accuracy by" "train" "validation" "lr " "running" "sweep e2e " "run e2e"
	grep -qE "sweep e2e [12]/2" "$OUT/$size-run-live.txt" || fail "run-live: no 'sweep e2e 1/2' or '2/2'"
	# The system line is sampled every 2 s: a sweep that ends sooner (fast
	# kernels, 3 tiny epochs) never shows one, which is no failure. The wait
	# is generous: once (CI, a loaded machine) a run still showed running
	# after 10 s.
	for _ in $(seq 100); do
		pane | grep -qF "system cores" && break
		pane | grep -qF "● running" || break
		sleep 0.2
	done
	if pane | grep -qF "system cores"; then
		capture run-system "system cores" "memory" "budget"
	elif pane | grep -qF "● running"; then
		# Seen twice in CI (a loaded machine), never locally: kept as a
		# warning with the screen saved, so a stall can be looked at, not
		# as a failure that a slow CI machine alone can cause.
		pane >"$OUT/$size-run-system-missing.txt"
		echo "== $size: WARNING no system line after 20 s of training (screen in $OUT/$size-run-system-missing.txt)"
	else
		echo "== $size: the sweep ended before the system line's first sample (not checked)"
	fi
	wait_for "sweep e2e 2/2" 90 || continue
	wait_for "completed after 3/3" 120 || continue
	capture run-done "completed" "best val_acc" "epoch  train loss" "loss by epoch"
	keys x
	capture run-time-axis "loss by time"
	keys x
	# Several keys in one read (key repeat, a paste, a slow link) each
	# count: m, L and x together smooth, log-scale and switch the x axis.
	tmux send-keys -t "$SESSION" m L x
	sleep 0.5
	capture run-keys-in-one-read "smoothed" ", log" "by time"
	tmux send-keys -t "$SESSION" m L x
	sleep 0.5

	# 3. Runs: both sweep runs, marked for comparison.
	keys 3
	wait_for "2 marked" 10 || true
	capture runs "r18" "r34" "completed" "best acc" "2 marked" "name" "data" "e2e" "demo"
	# j j j in one read moves the cursor (here: down the two runs and back up).
	tmux send-keys -t "$SESSION" j k
	sleep 0.3
	keys / ; text "r34"
	capture runs-filter "1 shown of 2"
	keys Escape
	keys Enter
	wait_for "esc back" 10 || true
	sleep 0.5
	keys NPage NPage
	capture details "most confused" "worst predicted" "%"
	keys Escape

	# 4. Compare: overlaid curves and the summary table; save and reopen.
	keys c
	wait_for "p vs first" 20 || continue
	capture compare "compare 2 runs" "[val_acc]" "(reference)" "best acc" "r18" "r34"
	keys Tab
	capture compare-loss "[val_loss]"
	keys s; text "depths"; keys Enter
	wait_for "saved comparison depths" 10 || true
	keys Escape 3 Tab
	capture runs-saved "saved comparisons and sweeps" "depths" "sweep e2e · 2 arms × 1 seeds × 1 folds · 2/2 done"
	keys Enter
	wait_for "saved as depths" 10 || true
	capture compare-reopened "saved as depths" "val_loss"
	keys Escape
	# The sweep the setup screen made: its statistics and verdict.
	keys 3 Tab Down Enter
	wait_for "verdict:" 10 || true
	capture sweep "sweep e2e" "2/2 done" "val_acc by epoch" "arch=resnet18" "arch=resnet34" "last val acc" "verdict:"
	keys Escape Escape

	# 5. Predict: the cursor's run with the other marked run beside it.
	keys 3 g p
	wait_for "true class" 20 || continue
	capture predict "image 1/90" "true class" "A " "B " "%" "* true class"
	grep -qF "▀" "$OUT/$size-predict.ansi" || fail "predict: no half-block image drawn"
	grep -qE $'\x1b\\[[0-9;]*38;[25];' "$OUT/$size-predict.ansi" || fail "predict: the image has no colour"
	keys n
	sleep 0.5
	if pane | grep -qF "no disagreement"; then
		capture predict-next "no disagreement"
	else
		# Runs disagree on this image: at least one is wrong; both may be
		# (two different wrong classes), which barely trained demo runs
		# often are, so "✓ right" is not required.
		capture predict-next "true class" "✗ wrong"
		grep -q "image 1/90" "$OUT/$size-predict-next.txt" && fail "predict-next: n did not move"
		a=$(grep -oE '(✓ right|✗ wrong): [a-z]+' "$OUT/$size-predict-next.txt" | sed -n 1p)
		b=$(grep -oE '(✓ right|✗ wrong): [a-z]+' "$OUT/$size-predict-next.txt" | sed -n 2p)
		[[ -n $b && $a == "$b" ]] && fail "predict-next: n stopped on an image both runs call $a"
	fi
	keys Right
	capture predict-walk "true class"

	# 6. q while training: the run is stopped and saved before the lab quits.
	keys 1
	capture setup-measured "measured" "/epoch"
	keys C-u # the sweep field still has the focus
	# 40 epochs, so that the run is still training when q comes: 3 tiny
	# epochs can end within the second that the keys take. The epochs are
	# the 13th field from the first (the data folder; the preset is the
	# second).
	keys C-Home Down Down Down Down Down Down Down Down Down Down Down Down C-u; text 40
	keys Enter
	wait_for "img/s" 60 || continue
	# q asks before stopping a training; q again stops and saves it.
	tmux send-keys -t "$SESSION" q
	sleep 0.3
	capture quit-confirm "q again stops it"
	tmux send-keys -t "$SESSION" q
	sleep 0.1
	pane >"$OUT/$size-quitting.txt" # "stopping the run…", unless it was already done
	lab_exited 60 || fail "the lab did not quit after stopping the run"
	grep -q "exit=0" "$WORK/exit" || fail "the lab exited with $(cat "$WORK/exit")"
	stopped=$("$BIN" runs --runs "$RUNS" --json | grep -c '"stopped"' || true)
	((stopped >= 1)) || fail "the run stopped by q is not saved as stopped"

	# 7. Resume the stopped run (the newest, the first row) to the end.
	rm -f "$WORK/exit"
	start_lab "$W" "$H"
	wait_for "demo data: 6 classes" 30 || continue
	keys 3
	wait_for "stopped" 10 || continue
	keys g r
	wait_for "resumed at epoch" 30 || continue
	wait_for "completed after 40/40" 120 || continue
	capture resumed "completed" "resumed at epoch" "epoch  train loss"
	# A fourth run, then all four compared: the chart keeps its width and
	# the legend names every run.
	keys 1 Enter
	wait_for "running" 30 || continue
	wait_for "completed after 8/8" 90 || continue
	keys 3
	sleep 0.5
	# j j j in one read moves the cursor three rows: to the fourth run
	# (the table's rows start on the screen's fourth line).
	keys g
	tmux send-keys -t "$SESSION" j j j
	sleep 0.5
	capture runs-jjj "4 shown of 4"
	sed -n 7p "$OUT/$size-runs-jjj.txt" | grep -q '^›' || fail "runs-jjj: j j j in one read did not reach the fourth run (see $OUT/$size-runs-jjj.txt)"
	keys g space space space space c
	wait_for "p vs first" 20 || continue
	capture compare-four "compare 4 runs" "e2e r18" "e2e r34" "(reference)"
	axis=$(grep -E '└' "$OUT/$size-compare-four.txt" | head -1)
	((${#axis} >= W / 2 - 12)) || fail "compare-four: the chart's axis is ${#axis} cells on a $W-column terminal"
	# d: only what differs, the other settings that differ listed (the
	# fourth run trained 8 epochs, the others 3).
	keys d
	capture compare-four-differs "differing settings" "differs" "epochs"
	keys d
	keys q
	lab_exited 10 || fail "q did not quit"

	# 8. NO_COLOR: plain but complete.
	rm -f "$WORK/exit"
	start_lab "$W" "$H" NO_COLOR=1
	wait_for "demo data: 6 classes" 30 || continue
	keys 3 G p
	wait_for "true class" 20 || continue
	capture nocolor-predict "true class" "A " "%"
	if grep -qE $'\x1b\\[[0-9;]*(38|48);' "$OUT/$size-nocolor-predict.ansi"; then
		fail "nocolor-predict: colours under NO_COLOR"
	fi
	keys 3
	capture nocolor-runs "r18" "›"
	keys q
	lab_exited 10 || fail "q did not quit"
	tmux kill-session -t "$SESSION" 2>/dev/null || true
	if [[ -s $WORK/stderr ]]; then
		fail "the lab wrote to stderr: $(head -c 300 "$WORK/stderr")"
	fi
done

echo "captures: $OUT"
if ((failures > 0)); then
	echo "tui-e2e: $failures checks failed" >&2
	exit 1
fi
echo "tui-e2e: all checks passed at $SIZES"
