#!/usr/bin/env bash
# SLA arithmetic benchmark (docs/performance.md): deadline computations per second on one core,
# O(1) working-day ordinals vs day-by-day loops giving the same answers, 15-working-day limits.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product mailbox-bench >&2
"$(swift build -c release --show-bin-path)/mailbox-bench" sla --seconds "${BENCH_SECONDS:-3}"
