/**
 * electron-vite build: main process, preload and renderer from the project's own folders
 * (`src-main/app`, `src-main/preload`, `src-renderer`), output to `out/`.
 */
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import vue from '@vitejs/plugin-vue';

export default defineConfig({
  main: {
    build: { rolldownOptions: { input: { index: resolve(__dirname, 'src-main/app/index.ts') } } },
  },
  preload: {
    // Sandboxed preloads must be CommonJS.
    build: {
      rolldownOptions: {
        input: { index: resolve(__dirname, 'src-main/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src-renderer'),
    build: { rolldownOptions: { input: { index: resolve(__dirname, 'src-renderer/index.html') } } },
    plugins: [vue()],
  },
});
