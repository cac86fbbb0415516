#!/usr/bin/env bash
# Regenerates docs/web-ui-sync.png, the README's picture of a sync running, as the Temporal Web UI shows
# it: runs the Web UI browser test (test/webui), which saves the page it reads when WEB_UI_SCREENSHOT
# names a file. Needs what that test needs: Chromium (`bash scripts/install-tools.sh --chromium-only`),
# the Temporal CLI and Node 22.18+ (`source scripts/node.sh`).
#
#   bash scripts/screenshot-web-ui.sh [out.png]    # default: docs/web-ui-sync.png
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(realpath -m "${1:-$REPO/docs/web-ui-sync.png}")"
mkdir -p "$(dirname "$out")"
# Written aside first: a failed or skipped run leaves the previous picture as it was.
shot="$(dirname "$out")/.web-ui-shot.$$.png"
trap 'rm -f "$shot"' EXIT

cd "$REPO"
WEB_UI_SCREENSHOT="$shot" node --test --test-reporter=spec test/webui/web-ui.test.ts
[ -s "$shot" ] || { echo "screenshot-web-ui: no screenshot was taken (was the test skipped? see above)" >&2; exit 1; }
mv -f "$shot" "$out"
echo "screenshot-web-ui: $out ($(du -k "$out" | cut -f1) KiB)"
