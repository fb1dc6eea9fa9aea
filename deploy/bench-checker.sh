#!/usr/bin/env bash
# 错敏字 text checker benchmark (docs/performance.md): MB/s on one core over generated Chinese text (default 1 MB)
# with a generated 10,000-entry list, against a naive per-entry scan and pyahocorasick (a C extension) on the
# same text and list. pyahocorasick does not normalise (no zero-width, full-width, case or whitespace handling),
# so it does less work than the checker: the comparison is conservative for us.
# Environment: BENCH_SECONDS (per measurement, default 3), BENCH_MB (text size, default 1),
# BENCH_ENTRIES (default 10000), BENCH_NAIVE_SECONDS (budget of the naive scans, default 30),
# MAILBOX_BENCH (path of a prebuilt mailbox-bench; default: build it in release mode).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${BENCH_SECONDS:-3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

taskset_cmd=()
command -v taskset >/dev/null && taskset_cmd=(taskset -c 0)
bench="${MAILBOX_BENCH:-}"  # a prebuilt mailbox-bench binary skips the build
if [ -z "$bench" ]; then
    swift build -c release --product mailbox-bench >&2
    bench="$(swift build -c release --show-bin-path)/mailbox-bench"
fi
"${taskset_cmd[@]}" "$bench" check-text --seconds "$seconds" \
    --megabytes "${BENCH_MB:-1}" --entries "${BENCH_ENTRIES:-10000}" --naive-seconds "${BENCH_NAIVE_SECONDS:-30}" \
    --write-text "$work/text.txt" --write-list "$work/list.txt" | tee "$work/ours.out"

# pyahocorasick: the system one if installed, else a private venv kept in the user's cache, else pip --user.
python=python3
if ! python3 -c 'import ahocorasick' 2>/dev/null; then
    venv="${XDG_CACHE_HOME:-$HOME/.cache}/district-mailbox/bench-venv"
    if ! "$venv/bin/python" -c 'import ahocorasick' 2>/dev/null; then
        if python3 -m venv "$venv" >&2 && "$venv/bin/pip" install -q pyahocorasick >&2; then
            :
        else
            pip3 install --user -q pyahocorasick >&2
            venv=""
        fi
    fi
    if [ -n "$venv" ]; then python="$venv/bin/python"; fi
fi
"${taskset_cmd[@]}" "$python" deploy/bench/checker_pyaho.py "$work/text.txt" "$work/list.txt" "$seconds" | tee "$work/pyaho.out"

ours=$(sed -n 's/.*checker_mbps=\([0-9.]*\).*/\1/p' "$work/ours.out")
ours_findings=$(sed -n 's/.*checker_findings=\([0-9]*\).*/\1/p' "$work/ours.out")
pyaho=$(sed -n 's/.*pyaho_mbps=\([0-9.]*\).*/\1/p' "$work/pyaho.out")
pyaho_findings=$(sed -n 's/.*pyaho_findings=\([0-9]*\).*/\1/p' "$work/pyaho.out")
echo
echo "side by side (MB/s of UTF-8 on one core):"
grep -E '^(checker |naive|ratio)' "$work/ours.out"
echo "pyahocorasick:              $pyaho MB/s, $pyaho_findings findings (matches the raw text only)"
awk -v a="$ours" -v b="$pyaho" 'BEGIN { printf "ratio checker ÷ pyahocorasick: %.2f×\n", a / b }'
echo "findings: checker $ours_findings vs pyahocorasick $pyaho_findings — the difference is what only normalised matching sees (planted entries with a zero-width character or space inside, words across spaces)"
