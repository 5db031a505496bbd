// Fragment of openstatusHQ/openstatus packages/db/src/migrate.mts
import { createClient } from "@libsql/client";
import { drizzle } from "drizzle-orm/libsql";
import { migrate } from "drizzle-orm/libsql/migrator";

async function main() {
  const db = drizzle(createClient({ url: process.env.DATABASE_URL ?? "" }));
  await migrate(db, { migrationsFolder: "drizzle" });
  process.exit(0);
}

main();
