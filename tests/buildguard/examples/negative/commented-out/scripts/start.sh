#!/bin/sh
set -e
# npx prisma migrate deploy   <- moved to the migrate-prod job
#npx prisma db push
node dist/server.js # not prisma migrate deploy
