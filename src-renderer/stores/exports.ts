/**
 * Exporting a run (`exports.create`) and comparing what each merge with the base model keeps
 * (`merges.evaluate`), with the progress of both from `job.progress` events for this run only.
 * When the chosen folder already has files in it, the refusal is remembered so the view can offer
 * "Replace its contents", which sends the same request again with `force`.
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ExportView, JobProgress, MergeView, Params } from '../../src-main/contract/index.js';
import { api, onEvent } from '../api.js';
import { errorText } from './errors.js';

export type ExportRequest = Params<'exports.create'>;

/** The refusal of a folder that has files in it: the app's words (services/outputs.ts), or the export service's. */
const NOT_EMPTY = /already has files in it|exists and is not empty/i;

export const useExportsStore = defineStore('exports', () => {
  const runId = ref<string | null>(null);

  const merges = ref<MergeView[] | null>(null);
  const mergesBusy = ref(false);
  const mergesProgress = ref<JobProgress | null>(null);
  const mergesError = ref<string | null>(null);

  const exporting = ref(false);
  const exportProgress = ref<JobProgress | null>(null);
  const result = ref<ExportView | null>(null);
  const exportError = ref<string | null>(null);
  /** The last refusal was a folder with files in it: replacing them is the way on. */
  const folderNotEmpty = ref(false);
  const lastRequest = ref<ExportRequest | null>(null);

  function open(id: string): void {
    if (runId.value === id) return;
    runId.value = id;
    merges.value = null;
    mergesError.value = null;
    mergesProgress.value = null;
    result.value = null;
    exportError.value = null;
    exportProgress.value = null;
    folderNotEmpty.value = false;
    lastRequest.value = null;
  }

  onEvent('job.progress', (p) => {
    if (p.runId !== runId.value) return;
    if (p.job === 'export' && exporting.value) exportProgress.value = p;
    if (p.job === 'merges' && mergesBusy.value) mergesProgress.value = p;
  });

  /** Evaluates (or reads back) the merges of the open run's finished stages. */
  async function compareMerges(alpha: number, seed?: number): Promise<void> {
    const id = runId.value;
    if (id === null || mergesBusy.value) return;
    mergesBusy.value = true;
    mergesError.value = null;
    mergesProgress.value = null;
    try {
      const got = await api['merges.evaluate'](seed === undefined ? { runId: id, alpha } : { runId: id, alpha, seed });
      if (runId.value === id) merges.value = got;
    } catch (e) {
      if (runId.value === id) mergesError.value = errorText(e);
    } finally {
      mergesBusy.value = false;
    }
  }

  async function create(request: ExportRequest): Promise<void> {
    if (exporting.value) return;
    const id = request.runId;
    exporting.value = true;
    exportError.value = null;
    folderNotEmpty.value = false;
    exportProgress.value = null;
    result.value = null;
    lastRequest.value = request;
    try {
      const got = await api['exports.create'](request);
      if (runId.value === id) result.value = got;
    } catch (e) {
      if (runId.value === id) {
        exportError.value = errorText(e);
        folderNotEmpty.value = request.force !== true && NOT_EMPTY.test(exportError.value);
      }
    } finally {
      exporting.value = false;
    }
  }

  /** After a "folder is not empty" refusal: the same export, replacing what the folder holds. */
  async function replaceAndRetry(): Promise<void> {
    if (lastRequest.value === null) return;
    await create({ ...lastRequest.value, force: true });
  }

  /** A native folder picker (the desktop app); null when cancelled or when it cannot open (pickError says why). */
  const pickError = ref<string | null>(null);
  async function chooseFolder(title: string): Promise<string | null> {
    pickError.value = null;
    try {
      return (await api['app.pickFolder']({ title })).path;
    } catch (e) {
      pickError.value = errorText(e);
      return null;
    }
  }

  return {
    runId, merges, mergesBusy, mergesProgress, mergesError, exporting, exportProgress, result, exportError, folderNotEmpty, lastRequest, pickError,
    open, compareMerges, create, replaceAndRetry, chooseFolder,
  };
});
