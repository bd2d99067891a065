/**
 * The run history (`runs.list`), the search over it, the run open on its own page (`runs.get`),
 * and deleting a run (`runs.delete`). A run training in this app reports its milestones as
 * `run.event`s; each one that changes what these views show (a stage starting, a test result, a
 * pause or the end) reloads the list and the open run, so neither goes stale.
 */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { RunDetail, RunEvent, RunSummary } from '../../src-main/contract/index.js';
import { api, onEvent } from '../api.js';
import { errorText } from './errors.js';

export const useRunsStore = defineStore('runs', () => {
  const list = ref<RunSummary[]>([]);
  const listLoaded = ref(false);
  const listError = ref<string | null>(null);
  /** The History view's search text. */
  const query = ref('');

  const detail = ref<RunDetail | null>(null);
  const detailError = ref<string | null>(null);
  const loadingDetail = ref(false);
  /** Answers to an older open() are dropped when a newer one was asked for since. */
  let openSerial = 0;

  /** Runs whose name contains the search text, ignoring case; newest first, as listed. */
  const filtered = computed(() => {
    const q = query.value.trim().toLowerCase();
    return q === '' ? list.value : list.value.filter((r) => r.name.toLowerCase().includes(q));
  });

  async function loadList(): Promise<void> {
    try {
      list.value = await api['runs.list']({});
      listError.value = null;
    } catch (e) {
      listError.value = errorText(e);
    } finally {
      listLoaded.value = true;
    }
  }

  async function open(runId: string): Promise<void> {
    const serial = ++openSerial;
    loadingDetail.value = true;
    detailError.value = null;
    if (detail.value?.run.id !== runId) detail.value = null;
    try {
      const got = await api['runs.get']({ runId });
      if (serial === openSerial) detail.value = got;
    } catch (e) {
      if (serial === openSerial) detailError.value = errorText(e);
    } finally {
      if (serial === openSerial) loadingDetail.value = false;
    }
  }

  /** Deletes the run and everything recorded for it; throws the reason in words when it cannot. */
  async function remove(runId: string): Promise<void> {
    await api['runs.delete']({ runId });
    list.value = list.value.filter((r) => r.id !== runId);
    if (detail.value?.run.id === runId) detail.value = null;
  }

  /** Step-by-step progress is the live view's; these kinds change status, stages or scores. */
  const RELOAD_ON: ReadonlySet<RunEvent['kind']> = new Set(['stage-start', 'eval', 'paused', 'resumed', 'stopped', 'finished']);
  onEvent('run.event', (event) => {
    if (!RELOAD_ON.has(event.kind)) return;
    if (listLoaded.value) void loadList();
    if (detail.value?.run.id === event.runId) void open(event.runId);
  });

  return { list, listLoaded, listError, query, filtered, detail, detailError, loadingDetail, loadList, open, remove };
});
