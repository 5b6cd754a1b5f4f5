"""Writes k2safety/data/parsed.json: the knowledge base's TOML files, as tomllib reads them.

The TOML files are the knowledge base. A fresh process reads each of them from this copy when
the file's text is the one the copy was made from (its SHA-256 is kept beside it), because
tomllib took most of the first check's time; an edited file is parsed afresh until the copy is
written again. tests/test_knowledge.py checks that the committed copy is current.

Usage: .venv/bin/python scripts/generate_parsed_data.py [--check]
(``--check`` writes nothing and exits with 1 if the committed copy is out of date.)
"""

from __future__ import annotations

import os
import sys

from k2safety._data import DATA_FOLDER, PARSED_COPY, parsed_copy_text

COPY = os.path.join(DATA_FOLDER, PARSED_COPY)


def main(argv: list[str]) -> int:
    text = parsed_copy_text()
    if "--check" in argv:
        try:
            with open(COPY, encoding="utf-8") as file:
                current = file.read()
        except FileNotFoundError:
            current = ""
        if current != text:
            print(f"{COPY} is out of date: run scripts/generate_parsed_data.py", file=sys.stderr)
            return 1
        return 0
    with open(COPY, "w", encoding="utf-8") as file:
        file.write(text)
    print(f"wrote {COPY}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
