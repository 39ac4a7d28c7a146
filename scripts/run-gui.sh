#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Set up (install missing packages, build) and launch the workbench, opening MODEL if given.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/setup.sh"
exec "${BUILD_DIR:-$root/build}/app/compression-workbench" "$@"
