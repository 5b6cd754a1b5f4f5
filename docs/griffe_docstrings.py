"""A griffe extension for the API reference: k2safety's docstrings are written for Sphinx.

It fences doctest blocks (``>>>``) as code and turns reStructuredText roles and literals such as
``:func:`k2safety.check``` into Markdown code spans, so the docstrings render as they read in
source. Only the docs build loads it (mkdocs.yml).
"""

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:func|class|meth|attr|mod|data|exc|obj):`(~?)([^`]+)`")
_LITERAL = re.compile(r"``([^`]+)``")


class SphinxDocstrings(griffe.Extension):
    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = markdown_docstring(obj.docstring.value)


def markdown_docstring(text: str) -> str:
    lines: list[str] = []
    in_doctest = False
    for line in text.splitlines():
        if line.startswith(">>>") and not in_doctest:
            lines.append("```pycon")
            in_doctest = True
        elif in_doctest and not line.strip():
            lines.append("```")
            in_doctest = False
        lines.append(line if in_doctest else _markdown_line(line))
    if in_doctest:
        lines.append("```")
    return "\n".join(lines)


def _markdown_line(line: str) -> str:
    line = _ROLE.sub(lambda m: f"`{m[2].rsplit('.', 1)[-1] if m[1] else m[2]}`", line)
    return _LITERAL.sub(r"`\1`", line)
