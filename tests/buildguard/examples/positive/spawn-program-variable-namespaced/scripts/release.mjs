// Constructed (no single repository): a release script whose program is a
// variable, under an import alias; only its arguments say it migrates.
import { spawnSync as run } from "node:child_process";
import path from "node:path";

const knexBin = path.join(process.cwd(), "node_modules", ".bin", "knex");
const result = run(knexBin, ["migrate:latest", "--knexfile", "knexfile.js"], { stdio: "inherit" });
process.exit(result.status ?? 1);
