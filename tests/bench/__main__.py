"""`make bench`: run every tests/bench/bench_*.py module's `main()`; each prints its own `bench <name>: …` lines
(one per figure judged against its same-run baseline, see tests.bench.compare), then one summary line.

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
    ran, failed = [], []
    for name in names:
        if selected and name not in selected:
            continue
        module = importlib.import_module(f"tests.bench.bench_{name}")
        ran.append(name)
        if module.main():
            failed.append(name)
    if not ran:
        print("bench: no benchmarks ran")
    elif failed:
        print(f"bench: {len(failed)} of {len(ran)} FAILED: {', '.join(failed)}")
    else:
        print(f"bench: all {len(ran)} ok ({', '.join(ran)})")
    return 1 if failed else 0


sys.exit(main(sys.argv[1:]))
