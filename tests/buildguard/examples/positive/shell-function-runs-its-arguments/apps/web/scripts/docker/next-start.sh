#!/bin/sh
# Fragment of formbricks/formbricks apps/web/scripts/docker/next-start.sh
# (there the call runs node packages/database/dist/scripts/apply-migrations.js).
set -eu

run_with_timeout() {
  _timeout_duration="$1"
  _timeout_name="$2"
  shift 2

  if command -v timeout >/dev/null 2>&1; then
    echo "Using timeout ($_timeout_duration seconds) for $_timeout_name"
    if ! timeout "$_timeout_duration" "$@"; then
      echo "❌ $_timeout_name timed out after $_timeout_duration seconds"
      exit 1
    fi
  else
    if ! "$@"; then
      exit 1
    fi
  fi
}

if [ "${SKIP_STARTUP_MIGRATION:-false}" = "true" ]; then
  echo "⏭️ Skipping startup migrations (handled by migration job)"
else
  run_with_timeout 300 "database migration" npx prisma migrate deploy
fi

exec node apps/web/server.js
