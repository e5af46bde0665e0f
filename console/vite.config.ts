import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The API serves the built console; nothing is fetched from the internet at run time.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "../src/signalfire/api/console",
    emptyOutDir: true,
    sourcemap: false,
  },
});
