"""`make bench`: run every tests/bench/bench_*.py module's `main()`; each prints its own `bench <name>: …` line.

`python -m tests.bench pipeline uploads` runs only those.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import tests.bench as package


def main(selected: list[str]) -> int:
    names = sorted(
        info.name.removeprefix("bench_")
        for info in pkgutil.iter_modules(package.__path__)
        if info.name.startswith("bench_")
    )
    failures = 0
    for name in names:
        if selected and name not in selected:
            continue
        module = importlib.import_module(f"tests.bench.bench_{name}")
        failures += int(bool(module.main()))
    if not names:
        print("bench: no benchmarks yet")
    return 1 if failures else 0


sys.exit(main(sys.argv[1:]))
