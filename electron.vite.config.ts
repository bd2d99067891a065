/**
 * electron-vite build: main process, preload and renderer from the project's own folders
 * (`src-main/app`, `src-main/preload`, `src-renderer`), output to `out/`. The main build has two
 * entries: the app (out/main/index.js) and the trainer's utility-process entry (out/main/trainer.js).
 */
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import vue from '@vitejs/plugin-vue';

export default defineConfig({
  main: {
    // index: the app; trainer: the trainer process started with utilityProcess (app/trainer-utility.ts).
    build: {
      rolldownOptions: {
        input: {
          index: resolve(__dirname, 'src-main/app/index.ts'),
          trainer: resolve(__dirname, 'src-main/app/trainer-utility-entry.ts'),
        },
      },
    },
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
