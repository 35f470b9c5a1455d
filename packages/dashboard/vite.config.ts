import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

/** The dashboard builds to dist/, which `mainspring start` serves at `/` (see build.ts). */
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  logLevel: "warn",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    // one chunk for the app and one for libraries: two requests on a cold load, and the library
    // chunk stays cached across dashboard changes
    rolldownOptions: {
      output: {
        codeSplitting: { groups: [{ name: "vendor", test: /node_modules/ }] },
      },
    },
  },
});
