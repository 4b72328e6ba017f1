import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Every livebase server serves the built dashboard at /_dashboard (from the livebase package,
// src/livebase/server/dashboard), on the same origin as the API and the sync WebSocket;
// `npm run dev` proxies both to a server on :3210.
export default defineConfig({
  plugins: [react()],
  base: "/_dashboard/",
  build: { outDir: "../../src/livebase/server/dashboard", emptyOutDir: true },
  server: {
    proxy: {
      "/api": { target: "http://127.0.0.1:3210", ws: true },
    },
  },
});
