#!/usr/bin/env python3
"""Time pyahocorasick (a C extension) on the text and list written by `mailbox-bench check-text`.

Usage: checker_pyaho.py TEXT LIST [SECONDS]

Builds an Automaton from the list's patterns (the part before a TAB or "=>"), then times a full
`automaton.iter(text)` pass, best of several runs, and reports MB/s on the UTF-8 size of the text.
pyahocorasick matches the text as is: no zero-width, full-width, case or whitespace handling.
"""
import sys
import time
from importlib import metadata

import ahocorasick


def patterns(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            line = line.rstrip("\r\n")
            pattern = line.split("\t", 1)[0] if "\t" in line else line.split("=>", 1)[0]
            pattern = pattern.strip()
            if pattern:
                yield pattern


def main():
    text_path, list_path = sys.argv[1], sys.argv[2]
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 3.0
    with open(text_path, encoding="utf-8") as f:
        text = f.read()
    size = len(text.encode("utf-8"))

    start = time.perf_counter()
    automaton = ahocorasick.Automaton()
    for p in patterns(list_path):
        automaton.add_word(p, p)
    automaton.make_automaton()
    build = time.perf_counter() - start

    best = float("inf")
    runs = 0
    findings = 0
    start = time.perf_counter()
    while runs < 3 or time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        n = 0
        for _ in automaton.iter(text):
            n += 1
        best = min(best, time.perf_counter() - t0)
        findings = n
        runs += 1
    mbps = size / best / 1e6
    print(f"pyahocorasick {metadata.version('pyahocorasick')}: "
          f"built {len(automaton)} entries in {build * 1000:.1f} ms; "
          f"{mbps:.1f} MB/s (best of {runs} runs), {findings} findings (no normalisation)")
    print(f"figures: pyaho_mbps={mbps:.1f} pyaho_findings={findings}")


if __name__ == "__main__":
    main()
