"""check() against a hand-written if-chain, on repeating and on never-repeating profiles.

Run: .venv/bin/python benchmarks/bench_check.py [--profiles N] [--rounds R]
Targets (issue 10): check() at most 2.5x the if-chain on the repetitive mix and at most 4x on
distinct profiles, measured in one process, one core.

- repetitive: the benchmark mix (_profiles.profiles), whose medication names and doses repeat as
  real ones do; the best of R passes over the same N profiles.
- distinct: every medication text and dose is new (_profiles.distinct_profiles), so the memos of
  texts never help; each pass uses profiles no earlier pass has seen, the best of R passes.

Both are timed against _if_chain.screen on the same dicts, interleaved round by round, so a
shared, noisy machine slows both alike; the figure that matters is the ratio. Also printed: how
many objects the garbage collector tracks after the runs and the longest full collection.

Two parts of check() are timed on their own against the same if-chain, on the repetitive mix,
to show what any check() with these outputs costs before a rule runs:

- output models: building each profile's report (its NormalizedProfile, Findings and Report,
  pydantic models) from field values worked out beforehand;
- reading: the profile's entries read from its dict (k2safety._reader), doses and names resolved.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import _if_chain
import _profiles

import k2safety
from k2safety._reader import entries_of_json

Profiles = list[dict[str, Any]]


def seconds(function: Callable[[dict[str, Any]], object], profiles: Profiles) -> float:
    started = time.perf_counter()
    for profile in profiles:
        function(profile)
    return time.perf_counter() - started


def agree(profiles: Profiles) -> None:
    """Both sides must fire the same rules, or the comparison means nothing."""
    for profile in profiles:
        expected = sorted(_if_chain.screen(profile))
        got = sorted((f.code, f.severity.value) for f in k2safety.check(profile).findings)
        assert got == expected, (profile, got, expected)


def compare(label: str, batches: list[Profiles]) -> float:
    """Best time per profile of check() and of the if-chain over ``batches``; returns the ratio."""
    best_check = best_chain = float("inf")
    for batch in batches:
        best_check = min(best_check, seconds(k2safety.check, batch) / len(batch))
        best_chain = min(best_chain, seconds(_if_chain.screen, batch) / len(batch))
    ratio = best_check / best_chain
    print(
        f"{label:<12} check {1e6 * best_check:6.1f} us ({1 / best_check:>8,.0f}/s)   "
        f"if-chain {1e6 * best_chain:5.1f} us   ratio {ratio:.2f}x"
    )
    return ratio


def report_fields(profiles: Profiles) -> list[tuple[Any, ...]]:
    """What each profile's report is built from, worked out beforehand by check()."""
    fields = []
    for profile in profiles:
        report = k2safety.check(profile)
        normalized = {
            name: getattr(report.profile, name) for name in k2safety.NormalizedProfile.model_fields
        }
        findings = [
            {name: getattr(finding, name) for name in k2safety.Finding.model_fields}
            for finding in report.findings
        ]
        fields.append((normalized, findings, report.max_severity, report.knowledge_version))
    return fields


def build_report(fields: tuple[Any, ...]) -> k2safety.Report:
    normalized, findings, max_severity, version = fields
    return k2safety.Report(
        findings=tuple(k2safety.Finding(**finding) for finding in findings),
        max_severity=max_severity,
        knowledge_version=version,
        profile=k2safety.NormalizedProfile(**normalized),
    )


def part(
    label: str, function: Callable[[Any], object], items: list[Any], profiles: Profiles
) -> None:
    best_part = best_chain = float("inf")
    for _ in range(3):
        best_part = min(best_part, seconds(function, items) / len(items))
        best_chain = min(best_chain, seconds(_if_chain.screen, profiles) / len(profiles))
    print(
        f"  {label:<14} {1e6 * best_part:6.1f} us   if-chain {1e6 * best_chain:5.1f} us   "
        f"ratio {best_part / best_chain:.2f}x"
    )


def longest_full_collection_ms() -> float:
    started = time.perf_counter()
    gc.collect()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profiles", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    repetitive = _profiles.profiles(args.profiles)
    distinct = [
        _profiles.distinct_profiles(args.profiles, start=round_ * args.profiles)
        for round_ in range(args.rounds + 1)
    ]
    agree(repetitive[:500])
    agree(distinct[-1][:500])  # the last batch checks agreement, so timed batches stay unseen
    k2safety.check(repetitive[0])
    print(f"{args.profiles:,} profiles a pass, best of {args.rounds} passes, one core")
    repetitive_ratio = compare("repetitive", [repetitive] * args.rounds)
    distinct_ratio = compare("distinct", distinct[: args.rounds])
    print("parts of check() on the repetitive mix, each against the if-chain:")
    part("output models", build_report, report_fields(repetitive), repetitive)
    part("reading", entries_of_json, repetitive, repetitive)
    print(
        f"targets: repetitive <= 2.5x ({'met' if repetitive_ratio <= 2.5 else 'NOT met'}), "
        f"distinct <= 4x ({'met' if distinct_ratio <= 4 else 'NOT met'})"
    )
    print(
        f"garbage collector: {len(gc.get_objects()):,} objects tracked after the runs "
        f"(the profiles themselves included); a full collection takes "
        f"{longest_full_collection_ms():.1f} ms"
    )


if __name__ == "__main__":
    main()
