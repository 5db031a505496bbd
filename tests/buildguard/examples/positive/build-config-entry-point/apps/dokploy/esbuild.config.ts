// Fragment of Dokploy/dokploy apps/dokploy/esbuild.config.ts
import esbuild from "esbuild";

esbuild.build({
	entryPoints: {
		server: "server/server.ts",
		"wait-for-postgres": "wait-for-postgres.ts",
	},
	bundle: true,
	platform: "node",
	format: "esm",
	outExtension: { ".js": ".mjs" },
	outdir: "dist",
});
