#!/usr/bin/env bash
# deps-clients.sh — what the tests of `charrnn serve` drive it with, beyond curl: headless
# Chromium with Selenium (Debian packages) for the web page, and the official OpenAI library
# (npm's `openai`, on Node) into build-node/. `make test` skips those tests, saying so, where
# these are missing; CI installs them and sets CHARRNN_REQUIRE_CLIENTS, so there they run.
# fonts-wqy-microhei: a CJK font, so that screenshots of a poem model show characters, not boxes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh chromium chromium-driver python3-selenium fonts-wqy-microhei npm
if [[ ! -f build-node/node_modules/openai/package.json ]]; then
  npm install --no-save --no-audit --no-fund --prefix build-node openai@4 >/dev/null
fi
echo "deps-clients: chromium $(chromium --version 2>/dev/null | awk '{print $2}'), openai $(sed -n 's/.*"version": "\(.*\)".*/\1/p' build-node/node_modules/openai/package.json)"
