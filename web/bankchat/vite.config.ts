import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The built app is served by livebase itself (`python -m bankchat serve`), on the same origin
// as the API and the sync WebSocket; `npm run dev` proxies both to a server on :3220.
export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true },
  server: {
    proxy: {
      "/api": { target: "http://127.0.0.1:3220", ws: true },
    },
  },
});
