#!/usr/bin/env bash
# Installs everything Sekisho needs on a fresh Debian machine of this kind, idempotently:
# system packages (Java 17, Maven, ICU headers, Chromium for the browser test), the .venv with pinned
# Python packages (constraints.txt), the compiled screening modules, and the pinned Kafka/Elasticsearch/Flink-connector
# jars.
set -euo pipefail
cd "$(dirname "$0")/../.."
start=$(date +%s)

need_apt=()
command -v java >/dev/null || need_apt+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || need_apt+=(maven)
command -v pkg-config >/dev/null || need_apt+=(pkg-config)
dpkg -s libicu-dev >/dev/null 2>&1 || need_apt+=(libicu-dev)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "install: apt packages: ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

PY=${SEKISHO_PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
# The stamp skips pip when neither the constraints nor the project metadata changed.
stamp=.venv/.sekisho-install-stamp
want=$(cat constraints.txt pyproject.toml | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/pip install -q --upgrade pip setuptools wheel
  .venv/bin/pip install -q -c constraints.txt -e '.[dev]'
  echo "$want" > "$stamp"
fi
# The screening matcher's hot modules compiled with mypyc (rebuilt only when their sources change);
# on failure it warns and screening runs from the pure-Python sources.
.venv/bin/python infra/local/compile_screening.py \
  || echo "install: WARNING: compiling the screening modules failed; screening runs from the pure-Python sources"
.venv/bin/sekisho stack fetch >/dev/null
echo "install: done in $(( $(date +%s) - start ))s"
