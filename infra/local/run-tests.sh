#!/usr/bin/env bash
# Installs everything, then runs the quality gates and the whole test suite against the real local
# stack (the test fixtures start Kafka and Elasticsearch; Flink runs as the PyFlink mini-cluster).
set -uo pipefail
cd "$(dirname "$0")/../.."
bash infra/local/install.sh || exit 1
status=0
echo "== ruff"; .venv/bin/ruff check . || status=1
echo "== mypy --strict"; .venv/bin/mypy || status=1
echo "== import contracts"; .venv/bin/lint-imports --no-cache || status=1
echo "== pytest"
.venv/bin/python -m pytest -p no:cacheprovider "$@"
rc=$?
if [ "$rc" -eq 5 ]; then echo "pytest collected no tests: that is a failure"; rc=1; fi
[ "$rc" -ne 0 ] && status=$rc
.venv/bin/sekisho stack down >/dev/null 2>&1 || true
exit $status
