// Freehold's web UI: built into web/dist, which the control plane serves at / (src/api/web.ts).
// No React plugin: esbuild compiles TSX with the automatic JSX runtime.
import { defineConfig } from 'vite';

export default defineConfig({
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The config forms (react-jsonschema-form + Ajv) are loaded on demand; the rest stays small.
    chunkSizeWarningLimit: 600,
  },
  server: {
    // `npm run dev` in web/: the API of a control plane running on the default port
    proxy: { '/api': 'http://127.0.0.1:8470' },
  },
});
