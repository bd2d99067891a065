/**
 * Two or more runs side by side: each one's record (`runs.get`) and step metrics (`runs.metrics`),
 * loaded together. A run that cannot be read is kept with its reason, so the others still show.
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { MetricPoint, RunDetail } from '../../src-main/contract/index.js';
import { api } from '../api.js';
import { errorText } from './errors.js';

export interface ComparedRun {
  id: string;
  detail: RunDetail | null;
  points: MetricPoint[];
  error: string | null;
}

export const useCompareStore = defineStore('compare', () => {
  const runs = ref<ComparedRun[]>([]);
  const loading = ref(false);
  /** Answers to an older open() are dropped when a newer one was asked for since. */
  let serial = 0;

  async function one(id: string): Promise<ComparedRun> {
    try {
      const [detail, points] = await Promise.all([api['runs.get']({ runId: id }), api['runs.metrics']({ runId: id })]);
      return { id, detail, points, error: null };
    } catch (e) {
      return { id, detail: null, points: [], error: errorText(e) };
    }
  }

  async function open(runIds: readonly string[]): Promise<void> {
    const mine = ++serial;
    loading.value = true;
    const got = await Promise.all([...new Set(runIds)].map(one));
    if (mine !== serial) return;
    runs.value = got;
    loading.value = false;
  }

  return { runs, loading, open };
});
