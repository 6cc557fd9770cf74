import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The web app is built into dist/web, which `pactum serve` hands out (src/http/web-app.ts). Vite stamps
 * every script, stylesheet and the `csp-nonce` meta tag with a placeholder that the server replaces by a
 * fresh nonce per page load, so Mantine's style tags pass a CSP without 'unsafe-inline'.
 */
export const NONCE_PLACEHOLDER = 'pactum-csp-nonce';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  html: { cspNonce: NONCE_PLACEHOLDER },
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    manifest: true,
    sourcemap: false,
    chunkSizeWarningLimit: 700,
  },
  server: { proxy: { '/api': 'http://localhost:3000' } },
});
