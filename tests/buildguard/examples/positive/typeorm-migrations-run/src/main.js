const { DataSource } = require('typeorm');
const source = new DataSource({ type: 'postgres', migrationsRun: true });
source.initialize();
