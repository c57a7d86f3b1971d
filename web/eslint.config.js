import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["dist/", "node_modules/"] },
  js.configs.recommended,
  {
    languageOptions: { ecmaVersion: "latest", sourceType: "module" },
    rules: { eqeqeq: "error", "no-implicit-globals": "error", "prefer-const": "error" },
  },
  // The page runs in the browser; __APP_VERSION__ is put in by vite.config.js.
  { files: ["src/**/*.js"], languageOptions: { globals: { ...globals.browser, __APP_VERSION__: "readonly" } } },
  { files: ["scripts/**/*.mjs", "vite.config.js", "eslint.config.js"], languageOptions: { globals: globals.node } },
  { files: ["**/*.test.js", "**/*.test.mjs"], languageOptions: { globals: globals.node } },
];
