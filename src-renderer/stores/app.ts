/**
 * The app itself: its version and data folder (`app.info`), and whether the page is connected to
 * `hft serve` (always, in the Electron window).
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { AppInfo } from '../../src-main/contract/index.js';
import { api, onConnectionState, type PageConnection } from '../api.js';
import { errorText } from './errors.js';

export const useAppStore = defineStore('app', () => {
  const info = ref<AppInfo | null>(null);
  const error = ref<string | null>(null);
  const connection = ref<PageConnection>('idle');
  onConnectionState((state) => {
    connection.value = state;
  });

  async function load(): Promise<void> {
    try {
      info.value = await api['app.info']({});
      error.value = null;
    } catch (e) {
      error.value = errorText(e);
    }
  }

  return { info, error, connection, load };
});
