import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// `npm run dev` serves the app with hot reload against `python -m sessiondocs serve` on :3230;
// `npm run build` writes the static files that `sessiondocs serve` serves itself.
const backend = "http://127.0.0.1:3230";

export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true },
  server: {
    proxy: {
      "/api": { target: backend, ws: true },
      "/http": backend,
    },
  },
});
