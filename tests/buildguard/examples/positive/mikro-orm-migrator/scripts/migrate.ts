import { MikroORM } from '@mikro-orm/core';
const orm = await MikroORM.init();
await orm.getMigrator().up();
