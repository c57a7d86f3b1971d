import { defineConfig } from "vite";

// Static output with relative paths: host dist/ anywhere, next to its config.json.
export default defineConfig({
  base: "./",
  server: { host: "127.0.0.1", strictPort: true },
  preview: { host: "127.0.0.1", strictPort: true },
  build: { target: "es2022" },
});
