const { execSync } = require('child_process');

// run pending migrations first
execSync('npx prisma migrate deploy', { stdio: 'inherit' });
require('../server');
