#!/usr/bin/env bash
set -euo pipefail
echo "do not run prisma migrate deploy here"
echo do not run prisma migrate deploy here either
printf '%s\n' "migrations (prisma migrate deploy) run in the migrate-prod job" >&2
>&2 echo "rails db:migrate belongs in CI"
log() { printf '[build] %s\n' "$*"; }
log "skipping alembic upgrade head on purpose"
npx tsc
