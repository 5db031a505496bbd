const { migrateOnBoot } = require('./boot');
migrateOnBoot().then(() => require('./app'));
