"""Writes the generated pages at build time (run by mkdocs-gen-files; nothing here is committed).

The rule catalog and the claim list come from the packaged knowledge base and the rules' test
fixtures; the profile schema is appended to profile.md. Any inconsistency fails the build.
"""

import json
from pathlib import Path

import mkdocs_gen_files

from k2safety import Profile
from k2safety._catalog import catalog_pages

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "rules" / "fixtures"

for path, text in catalog_pages(FIXTURES).items():
    with mkdocs_gen_files.open(path, "w") as page:
        page.write(text)

with mkdocs_gen_files.open("profile.md", "a") as page:
    schema = json.dumps(Profile.model_json_schema(), indent=2, ensure_ascii=False)
    page.write(f"\n```json\n{schema}\n```\n")
