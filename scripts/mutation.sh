#!/usr/bin/env bash
# Mutation testing of the rules, dose units and medication matching: docs/mutation.md.
# Too slow for every CI run. Usage: scripts/mutation.sh   (MUTMUT_CHILDREN=4 for more workers)
#
# mutmut runs on a copy in build/mutation/, where scripts/undecorate.py has turned decorators
# into plain calls: mutmut does not mutate decorated functions, which would leave out every
# rule (@rule) and every cached function (@lru_cache).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=build/mutation

.venv/bin/pip install -q -e '.[test,mutation]'
rm -rf "$work"
mkdir -p "$work"
cp -r k2safety tests docs examples scripts .ci README.md mkdocs.yml pyproject.toml "$work"/
find "$work" -name __pycache__ -prune -exec rm -rf {} +
cd "$work"
"$root"/.venv/bin/python scripts/undecorate.py k2safety/rules/*.py k2safety/_units.py \
    k2safety/_matching.py
# The engine remembers each rule's finding by its inputs, so a rule would be called only by the
# first test to bring those inputs; with nothing remembered every test calls it.
sed -i 's/^_REMEMBERED = .*/_REMEMBERED = 0/' k2safety/_engine.py
grep -q '^_REMEMBERED = 0$' k2safety/_engine.py
# A small, derandomized hypothesis profile: every mutant meets the same examples.
HYPOTHESIS_PROFILE=mutation "$root"/.venv/bin/mutmut run --max-children "${MUTMUT_CHILDREN:-2}" \
    > mutmut.log 2>&1 || { tail -40 mutmut.log; exit 1; }
"$root"/.venv/bin/python scripts/mutation_score.py
echo "Inspect a survivor with: cd $work && $root/.venv/bin/mutmut show NAME"
