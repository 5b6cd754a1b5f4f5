"""Profile validation and start-up cost (issues 2 and 10).

Run: .venv/bin/python benchmarks/bench_profile.py [--runs N] [--python PATH]
Reports: validating a typical profile (3 medications, 3 supplements) once warm; whether
``import k2safety`` imports pint or builds a unit registry; a cold process that imports k2safety
and checks one profile (warfarin and MK-7), against a cold ``import pint; pint.UnitRegistry()``,
as the median of N runs of each, taken in turn, and their ratio; the same two with numpy, dask,
scipy, babel and uncertainties hidden, as in a plain install (pint imports each of them that is
installed; the development environment has numpy and dask); and, from ``-X importtime``, what
the cold k2safety process spends its import time on. For scale, a process that only imports
pydantic and builds and uses one model is timed too, in the plain set-up. The cold processes run
with compiled bytecode, as from an installed package (written once to a temporary folder, since
the environment here may set PYTHONDONTWRITEBYTECODE and k2safety is installed from source).
``--python`` runs the cold processes with another interpreter, such as that of a fresh virtual
environment where only ``pip install .`` was run: a plain install in fact, where pydantic also
finds fewer installed distributions to look through for plugins than in the development one.
Targets: well under 50 us; no registry on import; the cold check at most 0.6x pint alone.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

import k2safety

TYPICAL = {
    "medications": ["Warfarin sodium 5 mg tablet", {"name": "Eliquis"}, "metformin 500 mg"],
    "supplements": [
        {"ingredient": "MK-7", "dose": "180 mcg"},
        {"ingredient": "D3", "dose": "2000 IU"},
        {"ingredient": "MK-4", "dose": "1.5 mg", "per": "week"},
    ],
}

COLD_CHECK = (
    "import k2safety; k2safety.check({'medications': ['warfarin 5 mg'], "
    "'supplements': [{'ingredient': 'MK-7', 'dose': '180 mcg'}]})"
)
COLD_PINT = "import pint; pint.UnitRegistry()"
# The floor for any library whose results are pydantic models: import it, build one model, use it.
COLD_PYDANTIC = "from pydantic import BaseModel\nclass M(BaseModel):\n    a: int\nM(a=1)"
# What pint imports whenever it is installed; None in sys.modules makes an import fail.
OPTIONAL = ("numpy", "dask", "scipy", "babel", "uncertainties")
PLAIN = f"import sys; sys.modules.update(dict.fromkeys({OPTIONAL!r})); "
IMPORT_ONLY = (
    "import sys, k2safety; from k2safety import _units; "
    "print('pint' in sys.modules, _units._registry_instance is not None)"
)
SPLIT = (
    "import time; started = time.perf_counter(); import k2safety; "
    "imported = time.perf_counter(); "
    + COLD_CHECK.removeprefix("import k2safety; ")
    + "; checked = time.perf_counter(); import sys; "
    "print(imported - started, checked - imported, 'pint' in sys.modules, len(sys.modules))"
)


def warm_validation_us(rounds: int = 5, number: int = 20_000) -> float:
    k2safety.Profile.model_validate(TYPICAL)
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(number):
            k2safety.Profile.model_validate(TYPICAL)
        best = min(best, time.perf_counter() - started)
    return best / number * 1e6


_ENVIRONMENT = dict(os.environ)
_PYTHON = [sys.executable]


def _run(code: str, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_PYTHON[0], *options, "-c", code],
        check=True,
        capture_output=True,
        text=True,
        env=_ENVIRONMENT,
    )


def cold_seconds(codes: dict[str, str], runs: int) -> dict[str, float]:
    """The median wall time of a fresh process running each code, the codes taken in turn."""
    times: dict[str, list[float]] = {name: [] for name in codes}
    for code in codes.values():  # compiles and caches the bytecode
        _run(code)
    for _ in range(runs):
        for name, code in codes.items():
            started = time.perf_counter()
            _run(code)
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


@dataclass
class _Import:
    name: str
    self_us: int
    cumulative_us: int
    depth: int
    children: list[_Import] = field(default_factory=list)


def import_tree(code: str) -> list[_Import]:
    """The imports of a fresh process running ``code``, from ``-X importtime``, as a tree."""
    pending: list[_Import] = []
    for line in _run(code, "-X", "importtime").stderr.splitlines():
        if not line.startswith("import time:") or "imported package" in line:
            continue
        self_us, cumulative_us, name = line.removeprefix("import time:").split("|")
        depth = (len(name) - len(name.lstrip())) // 2
        node = _Import(name.strip(), int(self_us), int(cumulative_us), depth)
        while pending and pending[-1].depth > depth:  # printed after its children
            node.children.insert(0, pending.pop())
        pending.append(node)
    return pending


def _walk(nodes: list[_Import]) -> list[_Import]:
    return [item for node in nodes for item in (node, *_walk(node.children))]


def import_offenders(code: str, top: int = 12) -> dict[str, list[_Import]]:
    """What k2safety's own modules import, what the check imports later (both by cumulative
    time), and the slowest modules on their own."""
    tree = import_tree(code)
    everything = _walk(tree)
    outside = [
        child
        for node in everything
        if node.name.startswith("k2safety")
        for child in node.children
        if not child.name.startswith("k2safety")
    ]
    names = [node.name for node in tree]
    later = tree[names.index("k2safety") + 1 :] if "k2safety" in names else []
    return {
        "what k2safety's modules import (cumulative)": _slowest(outside, top, cumulative=True),
        "imported during the check, after import k2safety (cumulative)": _slowest(
            later, top, cumulative=True
        ),
        "the slowest modules on their own (self)": _slowest(everything, top, cumulative=False),
    }


def _slowest(nodes: list[_Import], top: int, *, cumulative: bool) -> list[_Import]:
    return sorted(nodes, key=lambda n: -(n.cumulative_us if cumulative else n.self_us))[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="cold processes of each kind")
    parser.add_argument(
        "--python", default=sys.executable, help="the interpreter of the cold processes"
    )
    arguments = parser.parse_args()
    runs = arguments.runs
    _PYTHON[0] = arguments.python
    with tempfile.TemporaryDirectory(prefix="k2safety-bench-pycache-") as cache:
        _ENVIRONMENT.pop("PYTHONDONTWRITEBYTECODE", None)
        _ENVIRONMENT["PYTHONPYCACHEPREFIX"] = cache
        _report(runs)


def _report(runs: int) -> None:
    print(f"validate typical profile (warm):  {warm_validation_us():6.1f} us")
    imported = _run(IMPORT_ONLY).stdout.split()
    print(f"import k2safety imports pint: {imported[0]}; builds a registry: {imported[1]}")

    installed = ", ".join(name for name in OPTIONAL if _installed(name)) or "none"
    print(f"\ncold processes of {_PYTHON[0]}, median of {runs} each, in turn")
    print(f"(of numpy, dask, scipy, babel and uncertainties, installed there: {installed}):")
    cold = cold_seconds(
        {
            "check": COLD_CHECK,
            "pint": COLD_PINT,
            "plain check": PLAIN + COLD_CHECK,
            "plain pint": PLAIN + COLD_PINT,
            "plain pydantic": PLAIN + COLD_PYDANTIC,
        },
        runs,
    )
    for prefix, label in (("", "as installed"), ("plain ", "plain (those hidden)")):
        check, pint = cold[f"{prefix}check"], cold[f"{prefix}pint"]
        print(
            f"  {label + ':':21} import k2safety + check one {check * 1000:4.0f} ms, "
            f"import pint + registry {pint * 1000:4.0f} ms: {check / pint:.2f}x (target <= 0.6x)"
        )
    floor, pint = cold["plain pydantic"], cold["plain pint"]
    print(
        f"  {'plain, pydantic alone:':21} import, build and use one model {floor * 1000:4.0f} ms:"
        f" {floor / pint:.2f}x pint"
    )
    splits = [_run(SPLIT).stdout.split() for _ in range(max(3, runs // 3))]
    import_ms = statistics.median(float(split[0]) for split in splits) * 1000
    check_ms = statistics.median(float(split[1]) for split in splits) * 1000
    print(
        f"  in the k2safety process: import {import_ms:.0f} ms, first check {check_ms:.0f} ms; "
        f"pint imported: {splits[0][2]}; {splits[0][3]} modules loaded"
    )

    print("\n-X importtime of the cold check process:")
    for title, nodes in import_offenders(COLD_CHECK).items():
        print(f"{title}:")
        for node in nodes:
            us = node.cumulative_us if "cumulative" in title else node.self_us
            print(f"  {us / 1000:7.1f} ms  {node.name}")


def _installed(name: str) -> bool:
    code = f"import importlib.util, sys; sys.exit(importlib.util.find_spec({name!r}) is None)"
    return subprocess.run([_PYTHON[0], "-c", code], check=False).returncode == 0


if __name__ == "__main__":
    main()
