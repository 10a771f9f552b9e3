#!/usr/bin/env bash
# The main job: open the viewer on the bundled sample scene (PLAYBOT, CC-BY-4.0).
# With no display it renders the sample to a PNG and prints where it is.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/splatrender-xdg-$(id -u)}"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
exec .venv/bin/splatrender view "${@:-sample_scenes/playbot}"
