#!/usr/bin/env bash
# The default voice (festival with CMU's SLT) and espeak-ng: Debian packages, installed when
# missing and this runs as root with apt-get. Used by install.sh and test.sh.
set -uo pipefail
if command -v festival >/dev/null 2>&1 && command -v espeak-ng >/dev/null 2>&1 \
  && [ -d /usr/share/festival/voices/us/cmu_us_slt_arctic_hts ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "  (her voice needs festival: sudo apt-get install festival festvox-us-slt-hts espeak-ng)"
  exit 0
fi
echo "→ installing festival, its SLT voice and espeak-ng"
packages=(festival festvox-us-slt-hts espeak-ng)
{ apt-get install -y -qq "${packages[@]}" >/dev/null 2>&1 \
  || { apt-get update -qq >/dev/null 2>&1 \
    && apt-get install -y -qq "${packages[@]}" >/dev/null 2>&1; }; } \
  || echo "  (festival could not be installed; voice falls back to text, the real-voice tests skip)"
exit 0
