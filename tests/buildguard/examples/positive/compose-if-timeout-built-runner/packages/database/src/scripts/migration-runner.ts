// Fragment of formbricks/formbricks packages/database/src/scripts/migration-runner.ts
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);
const DATABASE_PACKAGE_DIR = path.resolve(__dirname, "../..");
const REPO_ROOT_DIR = path.resolve(DATABASE_PACKAGE_DIR, "../..");
const PRISMA_CONFIG_PATH = path.join(DATABASE_PACKAGE_DIR, "prisma.config.ts");
const LOCAL_PRISMA_BIN = path.join(REPO_ROOT_DIR, "node_modules", ".bin", "prisma");

// Prefer the workspace-local prisma binary; fall back to PATH.
const resolvePrismaBin = async (): Promise<string> => {
  try {
    await fs.access(LOCAL_PRISMA_BIN);
    return LOCAL_PRISMA_BIN;
  } catch {
    return "prisma";
  }
};

export const applyMigrations = async (): Promise<void> => {
  const prismaBin = await resolvePrismaBin();
  await execFileAsync(prismaBin, ["migrate", "deploy", "--config", PRISMA_CONFIG_PATH], {
    cwd: REPO_ROOT_DIR,
  });
};
