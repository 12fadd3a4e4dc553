#!/usr/bin/env bash
# run.sh KT_DEMO: the demo kernel runs every face, lists them all in ps while
# they run, shuts down in order and exits 0, within its ten seconds.
set -uo pipefail
out=$(timeout 10 "$1" 1 2>&1)
rc=$?
fail() {
  printf 'demo: %s\n--- output ---\n%s\n' "$1" "$out"
  exit 1
}
((rc == 0)) || fail "exit status $rc"
# ps, while the system runs: a thread of every face.
for name in bufdaemon drv0 nbwork/0 nbfeed ether0read kthread; do
  grep -Eq "^ +[0-9]+ $name +" <<<"$out" || fail "no '$name' in the ps listing"
done
for line in \
  "Waiting (max 60 seconds) for system process \`bufdaemon' to stop...stopped" \
  "plan9: ether0read: interrupted after" \
  "netbsd: the pool did" \
  "aix: the worker computed" \
  "halted"; do
  grep -Fq "$line" <<<"$out" || fail "missing: $line"
done
echo "demo: every face ran, was listed and shut down"
