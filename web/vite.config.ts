/// <reference types="vitest/config" />
import { defineConfig } from "vite";

// The UI talks only to the native API under /api. In development, Vite serves
// the UI and forwards /api to a running `sextant serve` (SEXTANT_URL).
const target = process.env.SEXTANT_URL ?? "http://127.0.0.1:5050";

export default defineConfig({
  // Relative asset paths: the built UI works from any mount point, and hash
  // routing means the server never has to know the UI's routes.
  base: "./",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    chunkSizeWarningLimit: 300,
  },
  server: {
    proxy: {
      "/api": {
        target,
        changeOrigin: false,
        // The server answers "br" with brotli at its slowest setting (seconds for
        // a large JSON body); ask for gzip until the server is fixed.
        configure: (proxy) => {
          proxy.on("proxyReq", (req) => {
            const ae = req.getHeader("accept-encoding");
            if (typeof ae === "string" && /\bbr\b/.test(ae)) req.setHeader("accept-encoding", /\bgzip\b/.test(ae) ? "gzip" : "identity");
          });
        },
      },
    },
  },
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
  },
});
