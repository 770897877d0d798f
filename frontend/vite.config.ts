import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

const backend = process.env.BAIRRO_DEV_BACKEND || 'http://127.0.0.1:8099';

export default defineConfig({
  base: '/',
  plugins: [preact()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 900,
  },
  server: {
    proxy: {
      '/api': backend,
      '/healthz': backend,
    },
  },
});
