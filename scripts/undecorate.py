"""Rewrites ``@decorator def f`` as ``def f`` followed by ``f = decorator(f)``, in place.

Caching decorators (``@cache``, ``@lru_cache(...)``) are dropped instead. mutmut chooses the
tests to run against a mutant from the calls it saw in a clean run, and a cached function is
called only by the first test that needs its answer: its mutants would meet that one test only.
Without the cache every test that uses the function calls it, and the behaviour is the same.

mutmut leaves decorated functions unmutated, and in k2safety that would leave out every rule
(``@rule``) and every cached function (``@lru_cache``): the thresholds and comparisons mutation
testing is for. scripts/mutation.sh applies this to a throw-away copy of the project before
running mutmut; the rewritten module behaves the same, decorators are applied in the same order.

Usage: python scripts/undecorate.py FILE...
"""

from __future__ import annotations

import sys
from pathlib import Path

import libcst as cst


class _Undecorate(cst.CSTTransformer):
    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        body: list[cst.BaseStatement] = []
        for statement in updated.body:
            if isinstance(statement, cst.FunctionDef) and statement.decorators:
                body.append(statement.with_changes(decorators=()))
                name = statement.name.value
                kept = [d for d in statement.decorators if not _is_cache(d.decorator)]
                for decorator in reversed(kept):
                    call = cst.Call(func=decorator.decorator, args=[cst.Arg(cst.Name(name))])
                    assign = cst.Assign(targets=[cst.AssignTarget(cst.Name(name))], value=call)
                    body.append(cst.SimpleStatementLine(body=[assign]))
            else:
                body.append(statement)
        return updated.with_changes(body=body)


def _is_cache(decorator: cst.BaseExpression) -> bool:
    function = decorator.func if isinstance(decorator, cst.Call) else decorator
    name = function.attr if isinstance(function, cst.Attribute) else function
    return isinstance(name, cst.Name) and name.value in {"cache", "lru_cache"}


def main(paths: list[str]) -> int:
    for path in map(Path, paths):
        module = cst.parse_module(path.read_text("utf-8"))
        path.write_text(module.visit(_Undecorate()).code, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
