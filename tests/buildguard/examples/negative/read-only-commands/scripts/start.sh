#!/bin/bash
python manage.py migrate --check
python manage.py makemigrations --check --dry-run
bundle exec rails db:migrate:status
php artisan migrate:status
sequelize db:migrate:status
alembic current
cat <<EOF2
Run these by hand if needed:
  npx prisma migrate deploy
  alembic upgrade head
EOF2
node -e "console.log('prisma migrate deploy is for CI')"
exec node server.js
