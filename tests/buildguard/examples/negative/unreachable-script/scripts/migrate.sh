#!/bin/sh
# Run by the migrate-prod job only, never by the host.
npx prisma migrate deploy
