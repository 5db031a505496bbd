// Migrations run in CI: await migrations.up(); is not called here.
/* execSync('npx prisma migrate deploy') */
console.log('npx prisma migrate deploy is run by the pipeline');
require('./app');
