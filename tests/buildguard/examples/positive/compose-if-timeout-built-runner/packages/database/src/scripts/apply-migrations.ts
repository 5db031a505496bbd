// Fragment of formbricks/formbricks packages/database/src/scripts/apply-migrations.ts (built to dist/scripts/).
import { logger } from "@formbricks/logger";
import { applyMigrations } from "./migration-runner";

applyMigrations().catch((error: unknown) => {
  logger.fatal(error, "Migration failed");
  process.exit(1);
});
