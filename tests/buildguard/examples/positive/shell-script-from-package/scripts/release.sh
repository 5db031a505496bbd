#!/usr/bin/env bash
set -euo pipefail

echo "Preparing the release"
./scripts/db.sh
