const { Umzug, SequelizeStorage } = require('umzug');
exports.migrateOnBoot = async () => {
  const umzug = new Umzug({ migrations: { glob: 'migrations/*.js' } });
  await umzug.up();
};
