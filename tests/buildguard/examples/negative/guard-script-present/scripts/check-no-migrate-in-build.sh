#!/usr/bin/env bash
#
# Build guard: fails when anything Render runs on its own reaches a
# database migration.
#
#   buildCommand       npm run build
#
set -euo pipefail
# A fallback that lists the commands it looks for (as the old guard did).
forbidden_commands() {
  prisma migrate deploy --help >/dev/null
}
exec migpipe check-build --root . --config pipeline.toml
