#!/usr/bin/env bash
# fault-attack.sh: bad inputs: data folders, flags, damaged run folders, crafted weights, paths and a concurrent resume, each wanting one stderr line and the right exit code.
# Builds reslab and works in a fresh temporary folder; prints a summary.
# Not part of CI (a few minutes on two cores).
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/reslab-attack.XXXXXX)
BIN=$WORK/reslab
(cd "$ROOT" && go build -o "$BIN" ./cmd/reslab) || exit 1
cd "$WORK"
# Each case: a command, the exit code wanted, and a word the one stderr line must hold.
B=$BIN
pass=0; fail=0; cat=""
check() { # category want_code want_text cmd...
  local c=$1 code=$2 text=$3; shift 3
  out=$("$@" 2>$WORK/err >$WORK/out); got=$?
  lines=$(grep -c . $WORK/err)
  if [ -z "$text" ]; then okt=1; lines=0; elif grep -q -- "$text" $WORK/err; then okt=1; else okt=0; fi
  if [ "$got" = "$code" ] && [ $okt = 1 ] && [ "$lines" -le 1 ] && ! grep -q panic $WORK/err; then
    pass=$((pass+1)); eval "p_$c=\$((\${p_$c:-0}+1))"
  else
    fail=$((fail+1)); echo "FAIL [$c] $* -> exit $got: $(head -c 300 $WORK/err)"
  fi
  eval "t_$c=\$((\${t_$c:-0}+1))"
}
R=$WORK/runs; mkdir -p $R
T="--no-tui --runs $R --width 4 --size 32 --epochs 1 --batch 16"
# data folders
mkdir -p d/empty/train/a d/empty/train/b d/empty/valid/a d/empty/valid/b
check data 1 "expected at least one" $B train $T --data d/empty
touch d/file; check data 1 "found a file" $B train $T --data d/file
check data 1 "no such file" $B train $T --data d/nothere
mkdir -p d/onlyvalid/valid/a d/onlyvalid/valid/b; python3 -c "
from PIL import Image" 2>/dev/null
$B augment --help >/dev/null 2>&1
mkdir -p d/demo && $B train --no-tui --runs $WORK/tmpruns --epochs 1 --width 4 --size 32 >/dev/null 2>&1
python3 - <<'PY'
import struct,zlib,os
def png(path,w=8,h=8,bits=8):
    os.makedirs(os.path.dirname(path),exist_ok=True)
    ct=2; row=b'\x00'+b'\x80'*(w*3*(bits//8))
    raw=row*h
    def chunk(t,d): return struct.pack('>I',len(d))+t+d+struct.pack('>I',zlib.crc32(t+d)&0xffffffff)
    data=b'\x89PNG\r\n\x1a\n'+chunk(b'IHDR',struct.pack('>IIBBBBB',w,h,bits,ct,0,0,0))+chunk(b'IDAT',zlib.compress(raw))+chunk(b'IEND',b'')
    open(path,'wb').write(data)
for c in 'ab':
    png(f'd/onlyvalid/valid/{c}/1.png')
    for i in range(3):
        png(f'd/good/train/{c}/{i}.png'); png(f'd/good/valid/{c}/{i}.png')
        png(f'd/corrupt/train/{c}/{i}.png'); png(f'd/corrupt/valid/{c}/{i}.png')
open('d/corrupt/valid/a/bad.png','wb').write(b'\x89PNG\r\n\x1a\nbroken')
for i in range(3): open(f'd/allbad/train/b/{i}.png','wb').write(b'junk') if os.makedirs('d/allbad/train/b',exist_ok=True) is None else None
for i in range(3): png(f'd/allbad/train/a/{i}.png'); png(f'd/allbad/valid/a/{i}.png'); png(f'd/allbad/valid/b/{i}.png')
# a 16-bit 10000x9999 PNG header with tiny data is refused from its header
png('d/huge/train/a/0.png'); png('d/huge/train/b/0.png'); png('d/huge/valid/a/0.png'); png('d/huge/valid/b/0.png')
png('d/huge/train/a/big.png',w=10000,h=9999,bits=16)
PY
check data 1 "no train/ folder" $B train $T --data d/onlyvalid
check data 1 "no readable training image" $B train $T --data d/allbad
check data 0 "" $B train $T --data d/corrupt
grep -q "bad.png" $WORK/out && echo "  (corrupt image named at start)" || echo "FAIL corrupt image not named"
check data 0 "" $B train $T --data d/huge
grep -q "big.png" $WORK/out && echo "  (huge 16-bit image named at start)" || echo "FAIL huge image not named"
mkdir -p d/linked/train d/linked/valid; cp -r d/good/valid/* d/linked/valid/; cp -r d/good/train/a d/linked/train/; ln -s $(pwd)/d/good/train/b d/linked/train/b
check data 0 "" $B train $T --data d/linked
# flags
check flags 2 "finite" $B train $T --dropout NaN
check flags 2 "finite" $B train $T --weight-decay nan
check flags 2 "finite" $B train $T --plateau-factor NaN
check flags 2 "finite" $B train $T --valid-fraction NaN
check flags 2 "unexpected argument" $B train $T extra
check flags 2 "mode" $B bench --mode bogus
check flags 2 "-h" $B train --frobnicate
check flags 2 "learning rate" $B train $T --lr -3
check flags 2 "resnet18, resnet34" $B train $T --arch resnet20
check flags 2 "want 1 to 4096" $B train $T --batch 0
# run folders
id=$(ls $R | grep -v log | head -1)
cp -r $R/$id $R/torn; printf '{"epoch":2,"train_lo' >> $R/torn/metrics.jsonl
check runfolder 0 "" $B show --runs $R torn
cp -r $R/$id $R/badstatus; printf '{"sta' > $R/badstatus/status.json
check runfolder 0 "" $B show --runs $R badstatus
cp -r $R/$id $R/nobest; rm $R/nobest/best.safetensors
check runfolder 1 "best.safetensors" $B predict --runs $R --run nobest d/good/valid/a/0.png
cp -r $R/$id $R/garbledbest; head -c 100 $R/$id/best.safetensors > $R/garbledbest/best.safetensors
check runfolder 1 "best weights" $B predict --runs $R --run garbledbest d/good/valid/a/0.png
cp -r $R/$id $R/badspec; printf '{"spec":' > $R/badspec/spec.json
check runfolder 1 "spec.json is damaged" $B show --runs $R badspec
check runfolder 0 "" $B runs --runs $R
# weights
W=$R/$id/best.safetensors
python3 - $W <<'PY'
import json,struct,sys
d=open(sys.argv[1],'rb').read(); n=struct.unpack('<Q',d[:8])[0]; h=json.loads(d[8:8+n]); body=d[8+n:]
def write(path,h,body):
    js=json.dumps(h).encode(); js+=b' '*((8-len(js)%8)%8)
    open(path,'wb').write(struct.pack('<Q',len(js))+js+body)
for name,shape in [('w1',[1125899906842624,0]),('w2',[4611686018427387904,4]),('w3',[200000,0])]:
    g=json.loads(json.dumps(h)); g['fc.weight']['shape']=shape; g['fc.weight']['data_offsets']=[0,0]; write(f'{name}.safetensors',g,body)
g=json.loads(json.dumps(h)); k=[x for x in g if x!='__metadata__'][0]; g[k]['data_offsets'][0]+=4; write('w4.safetensors',g,body)
open('w5.safetensors','wb').write(d[:len(d)//2])
b=bytearray(body); b[0:4]=struct.pack('<f',float('nan'))
write('w6.safetensors',h,bytes(b))
open('w7.safetensors','wb').write(b'\xff'*64)
PY
for w in 1 2 3 4 5 6 7; do check weights 1 "w$w.safetensors" $B predict --weights $WORK/w$w.safetensors d/good/valid/a/0.png; done
check weights 1 "holds resnet18" $B predict --weights $W --arch resnet50 d/good/valid/a/0.png
# paths
check paths 2 "not a path" $B resume --runs $R ../outside/victim
check paths 2 "not a path" $B show --runs $R /etc
check paths 2 "not a path" $B show --runs $R ""
check paths 2 "not a path" $B export --runs $R --csv - ../x
check paths 2 "not a path" $B predict --runs $R --run ../x d/good/valid/a/0.png
check paths 2 "comparison name" $B compare --runs $R --open ../../etc/passwd
check paths 0 "" $B show --runs $R $R/$id
# concurrency: two resumes of one run
$B train --no-tui --runs $R --width 4 --size 32 --epochs 30 --batch 16 --name conc > /dev/null 2>&1 &
sleep 1.5; kill -9 $! ; sleep 0.3
$B resume --runs $R conc > /dev/null 2>&1 & p1=$!; sleep 0.8
check concurrency 1 "in use by another reslab process" $B resume --runs $R conc
kill -9 $p1 2>/dev/null; wait 2>/dev/null
check concurrency 0 "" $B resume --runs $R conc
echo "passed $pass, failed $fail"
for c in data flags runfolder weights paths concurrency; do eval echo "$c: \${p_$c:-0}/\${t_$c:-0}"; done
