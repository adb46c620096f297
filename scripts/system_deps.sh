#!/usr/bin/env bash
# Check the system libraries that WeasyPrint (PDF) needs; install them with apt-get when we are
# root on Debian/Ubuntu, otherwise say exactly what to install instead of failing in a traceback.
set -euo pipefail

packages=()
have_lib() { ldconfig -p 2>/dev/null | grep -q "$1"; }
have_lib "libpango-1.0.so" || packages+=(libpango-1.0-0)
have_lib "libpangoft2-1.0.so" || packages+=(libpangoft2-1.0-0)
have_lib "libharfbuzz-subset.so" || packages+=(libharfbuzz-subset0)
if ! command -v fc-list >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -q "DejaVu Sans"; then
  packages+=(fontconfig fonts-dejavu-core)
fi
# Certificates print names in any script; WenQuanYi covers CJK where DejaVu stops.
if ! fc-list 2>/dev/null | grep -qi "WenQuanYi\|Noto Sans CJK"; then
  packages+=(fonts-wqy-microhei)
fi
python_version_ok=$(python3 -c 'import sys; print(int(sys.version_info >= (3, 11)))' 2>/dev/null || echo 0)
if [ "$python_version_ok" != "1" ]; then
  echo "mcportal needs Python 3.11 or newer as python3 (found: $(python3 --version 2>&1))." >&2
  exit 1
fi
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  packages+=(python3-venv)
fi

if [ ${#packages[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing system packages for PDF rendering: ${packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
else
  echo "mcportal needs these system packages (WeasyPrint renders PDFs with Pango):" >&2
  echo "    sudo apt-get install ${packages[*]}" >&2
  echo "(on macOS: brew install pango)" >&2
  exit 1
fi
