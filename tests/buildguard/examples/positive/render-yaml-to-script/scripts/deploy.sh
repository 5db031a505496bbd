#!/bin/sh
set -e
DATABASE_URL="$DIRECT_URL" pnpm exec prisma migrate deploy
