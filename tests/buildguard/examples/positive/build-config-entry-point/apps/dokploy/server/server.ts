import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";

const db = drizzle(postgres(process.env.DATABASE_URL ?? ""));
await migrate(db, { migrationsFolder: "drizzle" });
