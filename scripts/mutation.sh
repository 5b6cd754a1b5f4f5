#!/usr/bin/env bash
# Mutation testing of the rules, dose units and medication matching: docs/mutation.md.
# Too slow for every CI run. Usage: scripts/mutation.sh   (MUTMUT_CHILDREN=4 for more workers)
#
# mutmut runs on the code as it is: no decorator to strip, no cache to switch off (each test
# starts with empty memos, see tests/conftest.py). Its work tree is mutants/, left for inspection.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

.venv/bin/pip install -q -e '.[test,mutation]'
rm -rf mutants
# A small, derandomized hypothesis profile: every mutant meets the same examples.
HYPOTHESIS_PROFILE=mutation "$root"/.venv/bin/mutmut run --max-children "${MUTMUT_CHILDREN:-2}" \
    > mutmut.log 2>&1 || { tail -40 mutmut.log; exit 1; }
"$root"/.venv/bin/python scripts/mutation_score.py
echo "Inspect a survivor with: $root/.venv/bin/mutmut show NAME"
