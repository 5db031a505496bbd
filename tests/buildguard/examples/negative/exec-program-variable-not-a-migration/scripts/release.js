// Constructed after formbricks/formbricks packages/database/src/scripts/migration-runner.ts:
// programs chosen at run time whose arguments no migration tool's apply command takes.
const { execFile, spawn } = require("node:child_process");
const { promisify } = require("node:util");

const execFileAsync = promisify(execFile);

async function main(prismaBin, composeBin, gitBin) {
  await execFileAsync(prismaBin, ["migrate", "status", "--config", "prisma.config.ts"]);
  await execFileAsync(prismaBin, ["generate"]);
  spawn(composeBin, ["compose", "up", "-d"], { stdio: "inherit" });
  await execFileAsync(gitBin, ["rev-parse", "HEAD"]);
}

main(process.env.PRISMA_BIN, process.env.DOCKER_BIN, "git");
