#!/usr/bin/env bash
# kill9-loop.sh: 34 SIGKILLs of one training at random moments (most during resume), resumed to the end and compared with an uninterrupted run.
# Builds reslab and works in a fresh temporary folder; prints a summary.
# Not part of CI (a few minutes on two cores).
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/reslab-attack.XXXXXX)
BIN=$WORK/reslab
(cd "$ROOT" && go build -o "$BIN" ./cmd/reslab) || exit 1
cd "$WORK"
# 30+ SIGKILLs of one training at random moments (during training and during
# resume), then resumes to the end; compares with an uninterrupted run.
set -u
R=$WORK/runs-kill; S=$WORK/runs-straight
rm -rf $R $S; mkdir -p $R $S
FLAGS="--no-tui --width 8 --size 48 --epochs 150 --batch 16 --seed 7"
$BIN train $FLAGS --runs $S > $WORK/straight.log 2>&1 || { echo straight failed; exit 1; }
id=""
kills=0; resumes=0
for i in $(seq 1 34); do
  if [ -z "$id" ]; then
    $BIN train $FLAGS --runs $R > $WORK/k$i.log 2>&1 &
  else
    $BIN resume --runs $R $id > $WORK/k$i.log 2>&1 &
    resumes=$((resumes+1))
  fi
  pid=$!
  sleep $(python3 -c "import random; print(random.uniform(0.05, 1.2))")
  if kill -9 $pid 2>/dev/null; then kills=$((kills+1)); fi
  wait $pid 2>/dev/null
  [ -z "$id" ] && id=$(ls $R | grep -v reslab.log | head -1)
  st=$($BIN show --runs $R --json $id 2>/dev/null | python3 -c "import json,sys; print(json.load(sys.stdin)['status']['state'])" 2>/dev/null)
  [ "$st" = "completed" ] && break
done
for j in 1 2 3 4 5; do
  st=$($BIN show --runs $R --json $id | python3 -c "import json,sys; print(json.load(sys.stdin)['status']['state'])")
  [ "$st" = "completed" ] && break
  $BIN resume --runs $R $id >> $WORK/final.log 2>&1
done
echo "kills=$kills resumes=$resumes final=$st"
$BIN runs --runs $R 2>&1 | tail -3
python3 - "$R/$id" "$S/$(ls $S | grep -v reslab.log | head -1)" <<'PY'
import json,sys
a=[json.loads(l) for l in open(sys.argv[1]+'/metrics.jsonl')]
b=[json.loads(l) for l in open(sys.argv[2]+'/metrics.jsonl')]
print("epochs", len(a), len(b))
worst=max(abs(x['val_loss']-y['val_loss']) for x,y in zip(a,b))
print("max |val_loss diff| vs uninterrupted:", worst)
PY
ls -a $R/$id | grep tmp || echo "no temporaries left"
