// Constructed after hoppscotch/hoppscotch aio_run.mjs (runChildProcessWithPrefix):
// a helper that hands its parameters to spawn, called with the migration.
import { spawn } from "child_process";

function runChildProcessWithPrefix(command, args, prefix) {
  const childProcess = spawn(command, args);
  childProcess.stdout.on("data", (data) => console.log(`${prefix} | ${data}`));
  return childProcess;
}

const migrate = runChildProcessWithPrefix("npx", ["prisma", "migrate", "deploy"], "Migrations");
migrate.on("exit", () => runChildProcessWithPrefix("node", ["server.js"], "Server"));
