#!/bin/sh
# Brings the schema up to date.
if [ -n "$DATABASE_URL" ]; then
  npx --yes prisma migrate deploy
fi
