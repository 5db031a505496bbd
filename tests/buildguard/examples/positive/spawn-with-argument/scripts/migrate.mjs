import { spawnSync } from 'node:child_process';
const sub = process.argv[2] ?? 'status';
spawnSync('prisma', ['migrate', sub, '--schema', 'prisma/schema.prisma'], { stdio: 'inherit' });
