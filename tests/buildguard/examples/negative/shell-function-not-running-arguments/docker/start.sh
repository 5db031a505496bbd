#!/bin/sh
# Constructed after formbricks/formbricks apps/web/scripts/docker/next-start.sh:
# functions that print or check their arguments, never run them.
set -eu

log() {
  echo "[start] $*"
}

note_skipped() {
  _what="$1"
  shift
  printf '%s skipped: %s\n' "$_what" "$*"
}

check_status() {
  npx prisma migrate status "$@"
}

log npx prisma migrate deploy
note_skipped "database migration" npx prisma migrate deploy
check_status --schema prisma/schema.prisma
exec node server.js
