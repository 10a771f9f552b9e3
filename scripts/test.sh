#!/usr/bin/env bash
# The whole test suite (lint, unit, GPU on lavapipe, browser on SwiftShader, the
# slow tier). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/splatrender-xdg-$(id -u)}"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== pytest"
exec .venv/bin/python -m pytest -n 2 --dist loadfile "$@"
