import { readFileSync } from "node:fs";
import { parse } from "smol-toml";
import { defineConfig } from "vite";

// The project's one version string lives in pyproject.toml; the page sends it as ClientMetadata.
const { version } = parse(readFileSync(new URL("../pyproject.toml", import.meta.url), "utf8")).project;

// Static output with relative paths: host dist/ anywhere, next to its config.json.
export default defineConfig({
  base: "./",
  define: { __APP_VERSION__: JSON.stringify(version) },
  // The dev server may read the page and the wording it shares with the CLI, nothing else.
  server: { host: "127.0.0.1", strictPort: true, fs: { strict: true, allow: [".", "../signin/messages.json"] } },
  preview: { host: "127.0.0.1", strictPort: true },
  build: { target: "es2022" },
});
