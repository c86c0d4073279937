#!/bin/sh
# usage: ./run.sh "1000 5000 10000" [rounds]   — fan-out runs, a fresh server per run
set -e
cd "$(dirname "$0")"
go build -o bin/ ./cmd/...
NS=${1:-"1000 5000 10000"}
R=${2:-3}
W=${WRITERS:-1}
for n in $NS; do
  for s in refsrv:8081 hijacksrv:8082 nbiosrv:8083; do
    name=${s%%:*}; port=${s##*:}
    ARGS=""; [ $name != refsrv ] && ARGS="-writers $W"
    ./bin/$name -addr 127.0.0.1:$port $ARGS >/tmp/proto-$name.log 2>&1 &
    pid=$!
    sleep 0.5
    echo "== $name $ARGS"
    timeout 300 ./bin/loadgen -addr 127.0.0.1:$port -mode fanout -n $n -rounds $R || true
    kill $pid; wait $pid 2>/dev/null || true
  done
done
