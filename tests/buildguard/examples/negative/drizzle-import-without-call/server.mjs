import { migrate } from "drizzle-orm/node-postgres/migrator";
export { migrate };
console.log("ready");
