/**
 * The app itself: its version and data folder (`app.info`), the compute backend training would
 * use (`app.probe`, asked once: it tries each backend in a worker, which takes seconds), and
 * whether the page is connected to `hft serve` (always, in the Electron window).
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { AppInfo, ProbeInfo } from '../../src-main/contract/index.js';
import { api, onConnectionState, type PageConnection } from '../api.js';
import { errorText } from './errors.js';

export const useAppStore = defineStore('app', () => {
  const info = ref<AppInfo | null>(null);
  const error = ref<string | null>(null);
  const connection = ref<PageConnection>('idle');
  onConnectionState((state) => {
    connection.value = state;
  });

  const probe = ref<ProbeInfo | null>(null);
  const probeError = ref<string | null>(null);
  let probing: Promise<void> | null = null;

  function loadProbe(): Promise<void> {
    probing ??= api['app.probe']({}).then(
      (p) => {
        probe.value = p;
        probeError.value = null;
      },
      (e: unknown) => {
        probeError.value = errorText(e);
        probing = null; // a failed probe may be asked again
      },
    );
    return probing;
  }

  async function load(): Promise<void> {
    try {
      info.value = await api['app.info']({});
      error.value = null;
    } catch (e) {
      error.value = errorText(e);
    }
  }

  return { info, error, connection, load, probe, probeError, loadProbe };
});
