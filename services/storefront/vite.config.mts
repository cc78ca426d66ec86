import { defineConfig } from 'vite';

// The browser app lives in web/; its build lands in dist/public, next to the server's
// dist/main.js, so the one `dist` folder is what the image and `pnpm start` serve.
export default defineConfig({
  root: 'web',
  build: {
    outDir: '../dist/public',
    emptyOutDir: true,
    // The browsers a workshop laptop has; no legacy bundle.
    target: 'es2022',
    // Report what each chunk weighs after gzip (the README quotes it).
    reportCompressedSize: true,
  },
});
