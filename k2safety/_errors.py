"""The one exception type the public API raises for bad input."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["FieldProblem", "ProfileError", "json_type"]

FieldProblem = tuple[str, str]
"""A field path such as ``supplements[0].dose`` and what is wrong with it."""


class ProfileError(ValueError):
    """A profile that cannot be screened as given.

    The message names every offending field by its path (``supplements[0].dose``) and says what
    would have been accepted. ``problems`` holds the same as ``(path, explanation)`` pairs.

    >>> import k2safety
    >>> try:
    ...     k2safety.check({"supplements": [{"ingredient": "MK-7", "dose": "180"}]})
    ... except k2safety.ProfileError as error:
    ...     print(error.problems[0][0])
    supplements[0].dose
    """

    problems: tuple[FieldProblem, ...]

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__(_render(self.problems))

    def __reduce__(self) -> tuple[type[ProfileError], tuple[tuple[FieldProblem, ...]]]:
        return (type(self), (self.problems,))


def _render(problems: tuple[FieldProblem, ...]) -> str:
    lines = [f"{path or '(profile)'}: {text}" for path, text in problems]
    if len(lines) == 1:
        return f"invalid profile: {lines[0]}"
    return "invalid profile:\n" + "\n".join(f"  - {line}" for line in lines)


def json_type(value: object) -> str:
    """How a rejected value is named in a message: by its JSON type, never by its contents."""
    names: dict[type, str] = {bool: "a boolean", int: "a number", float: "a number", str: "text"}
    names |= {list: "a list", tuple: "a list", dict: "an object", type(None): "null"}
    return names.get(type(value), type(value).__name__)
