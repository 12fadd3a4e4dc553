#!/usr/bin/env bash
# bench/profile/run.sh KT_OPS [--check]
#
# Counts what each hot operation executes (kt_ops, bench/profile/ops.cc):
# instructions, and locked instructions (a lock prefix, or xchg with memory:
# each a full barrier, some ns whatever the code around it), in kthreads'
# own code. Each operation runs under callgrind for N and for 2N; the
# difference over N is the cost of one, without boot and shutdown. Unlike a
# timing, the figures do not move with the machine's load or clock.
#
# With --check, fails when an operation executes more locked instructions
# than its budget below: the lock discipline of the hot paths (no global
# lock, one chain lock per side of a sleep/wakeup), held by the test suite.
set -euo pipefail

ops=${1:?usage: run.sh KT_OPS [--check]}
check=${2:-}
command -v valgrind >/dev/null || { echo "run.sh: valgrind not installed (scripts/deps)" >&2; exit 1; }

# operation, N, operations per unit of N, locked-instruction budget, what
table=(
  "spawn 20000 1 5 create+run+exit+join"
  "pingpong 20000 2 2 one-way hand-off, one-hold sleep/wakeup"
  "twophase 20000 2 3 one-way hand-off, two-phase sleep/wakeup"
  "condvar 20000 2 5 one-way hand-off, kt_mutex + kt_cv"
  "yield 20000 2 2 switch by kt_thread_yield"
)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Addresses of the locked instructions in kt_ops (linked without PIE, so
# callgrind sees the addresses objdump prints).
objdump -d --no-show-raw-insn "$ops" |
  awk '/^ *[0-9a-f]+:\t(lock |xchg .*\()/ { a = $1; sub(":", "", a); print "0x" a }' >"$work/locked"

# measure OP N: prints "instructions locked" for one run of kt_ops OP N.
measure() {
  local out="$work/cg.$1.$2"
  valgrind --tool=callgrind --dump-instr=yes --dump-line=no --compress-pos=no \
    --compress-strings=no --callgrind-out-file="$out" "$ops" "$1" "$2" >/dev/null 2>&1
  # A cost line after calls= is the call's inclusive cost: skipped, so each
  # instruction is counted once, where it is.
  awk 'NR == FNR { locked[$1] = 1; next }
       /^calls=/ { skip = 1; next }
       /^0x/ { if (skip) { skip = 0; next } if ($1 in locked) n += $2; next }
       /^(summary|totals):/ { total = $2 }
       END { print total, n + 0 }' "$work/locked" "$out"
}

printf '| operation | instructions | locked instructions | budget |\n|---|---|---|---|\n'
failed=0
for row in "${table[@]}"; do
  read -r op n per budget what <<<"$row"
  read -r i1 l1 < <(measure "$op" "$n")
  read -r i2 l2 < <(measure "$op" $((2 * n)))
  ir=$(awk -v a="$i1" -v b="$i2" -v n="$n" -v p="$per" 'BEGIN { printf "%.0f", (b - a) / n / p }')
  lk=$(awk -v a="$l1" -v b="$l2" -v n="$n" -v p="$per" 'BEGIN { printf "%.2f", (b - a) / n / p }')
  verdict="$budget"
  if awk -v l="$lk" -v b="$budget" 'BEGIN { exit !(l > b + 0.05) }'; then
    verdict="$budget: OVER"
    failed=1
  fi
  printf '| %s (%s) | %s | %s | %s |\n' "$op" "$what" "$ir" "$lk" "$verdict"
done
if [[ "$check" == --check && $failed -ne 0 ]]; then
  echo "run.sh: an operation executes more locked instructions than its budget" >&2
  exit 1
fi
