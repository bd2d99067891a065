/**
 * The New-run wizard (DESIGN §8): Model → Datasets → Task order → Freeze ratio → Settings → Review.
 * One store holds every choice, so going back and forth between the steps loses nothing, and it
 * decides what blocks each step (`problemAt`, in words the Next button shows).
 *
 * - Model: `models.inspect` through the models store; "what will fit" from `runs.estimate`.
 * - Datasets: each file is previewed (`datasets.preview`); one with bad rows stays on its card
 *   until it is replaced by a fixed file or removed; a clean one is imported (`datasets.import`)
 *   and becomes a task. Changing the model or a file's mapping checks the file again.
 * - Start: wizard-plan.ts builds the plan; `runs.start` returns the run's id.
 * Answers that arrive after a newer question (another model, a replaced file) are dropped.
 */
import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
import type { DatasetPreview, ImportedDatasetView, ModelInfo, Params, PlanFreeze, PlanMapping, TrainingEstimate } from '../../src-main/contract/index.js';
import { api } from '../api.js';
import { DEFAULT_PRESET, defaultSettings, matchingPreset, presetValues, type PresetName, type WizardSettings } from '../presets.js';
import { moveBy, moveTo } from '../task-order.js';
import { buildPlan, cleanMapping, cleanPath, folderName, freeTaskName, inFolder, nameProblem, settingsProblems, tasksProblem } from '../wizard-plan.js';
import { useAppStore } from './app.js';
import { errorText } from './errors.js';
import { useModelsStore, type MaskRequest } from './models.js';

export const STEPS = [
  { name: 'model', label: 'Model' },
  { name: 'datasets', label: 'Datasets' },
  { name: 'order', label: 'Task order' },
  { name: 'freeze', label: 'Freeze ratio' },
  { name: 'settings', label: 'Settings' },
  { name: 'review', label: 'Review' },
] as const;
export type StepName = (typeof STEPS)[number]['name'];

/** The most text one file may send (the contract's limit on `content`). */
export const MAX_FILE_CHARS = 12 * 1024 * 1024;

/** A file as the page read it (File.text()). */
export interface DatasetFile {
  name: string;
  text: string;
}

export interface DatasetEntry {
  id: number;
  fileName: string;
  content: string;
  /** The user's format and columns, or null: detected from the file. */
  mapping: PlanMapping | null;
  /** checking: asking the app; problems: rows are bad; failed: the app could not read it; ready: imported, a task. */
  state: 'checking' | 'problems' | 'failed' | 'ready';
  preview: DatasetPreview | null;
  /** Why the app could not read or import it, in words. */
  error: string | null;
  imported: ImportedDatasetView | null;
  taskName: string;
  nameEdited: boolean;
}

export const useWizardStore = defineStore('wizard', () => {
  const app = useAppStore();
  const models = useModelsStore();

  const step = ref<StepName>('model');

  // Model
  const modelInput = ref('');
  const model = ref<ModelInfo | null>(null);
  const modelError = ref<string | null>(null);
  const modelChecking = ref(false);
  const pickError = ref<string | null>(null);
  let modelSerial = 0;
  const isSample = computed(() => model.value !== null && model.value.path === app.info?.sampleModel);
  const modelLabel = computed(() => (model.value === null ? '' : isSample.value ? 'Sample model' : folderName(model.value.path)));

  // Datasets, in the order they were added; `order` is the task order (entry ids).
  const datasets = ref<DatasetEntry[]>([]);
  const order = ref<number[]>([]);
  let nextId = 1;
  const serials = new Map<number, number>();
  const tasks = computed(() => order.value.map((id) => datasets.value.find((d) => d.id === id)).filter((d): d is DatasetEntry => d?.state === 'ready'));

  // Freeze ratio
  const strategy = ref<PlanFreeze['strategy']>('category');
  const ratio = ref(0.5);
  /** The stage whose mask picture is shown (0-based). */
  const maskStage = ref(0);

  // Settings
  const settings = ref<WizardSettings>(defaultSettings(DEFAULT_PRESET, null));
  /** The preset the settings still match, or null after a change in the advanced options. */
  const presetInUse = computed(() => matchingPreset(settings.value, model.value));

  // Review
  const customName = ref<string | null>(null);
  const starting = ref(false);
  const startError = ref<string | null>(null);
  /** The run the last start made; its page is open, and the wizard is cleared on the next visit. */
  let startedRun: string | null = null;
  const defaultRunName = computed(() => `${modelLabel.value || 'New run'} · ${tasks.value.length} task${tasks.value.length === 1 ? '' : 's'}`);
  /** The run's name: the user's, or the default until they type one. */
  const runName = computed({
    get: () => customName.value ?? defaultRunName.value,
    set: (v: string) => {
      customName.value = v;
    },
  });

  async function chooseModel(path: string): Promise<void> {
    const p = cleanPath(path);
    modelInput.value = p;
    pickError.value = null;
    if (p === '') {
      modelError.value = "Type the full path of a model folder (the folder with config.json in it), or use the sample model.";
      return;
    }
    if (model.value?.path === p && modelError.value === null) return;
    const serial = ++modelSerial;
    modelChecking.value = true;
    modelError.value = null;
    const info = await models.inspect(p);
    if (serial !== modelSerial) return;
    modelChecking.value = false;
    const before = model.value;
    model.value = info;
    if (info === null) {
      modelError.value = models.infoError[p] ?? 'Could not read this model folder.';
      return;
    }
    // The presets' learning rate and longest example follow the model; keep them in step unless changed by hand.
    const preset = matchingPreset(settings.value, before);
    if (preset !== null) Object.assign(settings.value, presetValues(preset, info));
    // Previews are tokenized with the model's own tokenizer and chat template: check them again.
    for (const d of datasets.value) void check(d.id);
  }

  async function pickModelFolder(): Promise<void> {
    pickError.value = null;
    try {
      const { path } = await api['app.pickFolder']({ title: 'Choose a model folder' });
      if (path !== null) await chooseModel(path);
    } catch (e) {
      pickError.value = errorText(e);
    }
  }

  async function useSampleModel(): Promise<void> {
    if (app.info === null) await app.load();
    if (app.info !== null) await chooseModel(app.info.sampleModel);
  }

  /** A task name no other file's task has yet. */
  const newTaskName = (fileName: string, except: number): string => freeTaskName(fileName, datasets.value.filter((d) => d.id !== except).map((d) => d.taskName));

  const entry = (id: number): DatasetEntry | undefined => datasets.value.find((d) => d.id === id);

  /** Previews the file and, when every row is good, imports it (so it becomes a task). */
  async function check(id: number): Promise<void> {
    const d = entry(id);
    if (d === undefined) return;
    const serial = (serials.get(id) ?? 0) + 1;
    serials.set(id, serial);
    const current = (): DatasetEntry | undefined => (serials.get(id) === serial ? entry(id) : undefined);
    if (model.value === null) {
      Object.assign(d, { state: 'failed', error: 'Choose the model first: the file is read with its tokenizer.' });
      return;
    }
    Object.assign(d, { state: 'checking', error: null, imported: null });
    if (d.content.length > MAX_FILE_CHARS) {
      Object.assign(d, { state: 'failed', preview: null, error: 'This file is larger than 12 MB, more than the app can read here. Split it into smaller files, or train it with the command line (npx hft run).' });
      return;
    }
    const request = {
      fileName: d.fileName,
      content: d.content,
      modelPath: model.value.path,
      maxLength: settings.value.maxLength,
      ...(d.mapping === null ? {} : { mapping: cleanMapping(d.mapping) }),
    };
    try {
      const preview = await api['datasets.preview'](request);
      const now = current();
      if (now === undefined) return;
      now.preview = preview;
      if (preview.badRows > 0 || preview.goodRows === 0) {
        now.state = 'problems';
        return;
      }
      const imported = await api['datasets.import'](request);
      const then = current();
      if (then === undefined) return;
      Object.assign(then, { imported, state: 'ready' });
    } catch (e) {
      const now = current();
      if (now !== undefined) Object.assign(now, { state: 'failed', error: errorText(e) });
    }
  }

  /** Adds each file as a card and checks it; returns their ids. */
  function addFiles(files: readonly DatasetFile[]): number[] {
    return files.map((f) => {
      const id = nextId++;
      const taskName = newTaskName(f.name, id);
      datasets.value.push({ id, fileName: f.name, content: f.text, mapping: null, state: 'checking', preview: null, error: null, imported: null, taskName, nameEdited: false });
      order.value.push(id);
      void check(id);
      return id;
    });
  }

  /** A fixed file in place of the card's file: same place in the task order, same mapping. */
  function replaceFile(id: number, file: DatasetFile): void {
    const d = entry(id);
    if (d === undefined) return;
    Object.assign(d, { fileName: file.name, content: file.text, preview: null });
    if (!d.nameEdited) d.taskName = newTaskName(file.name, id);
    void check(id);
  }

  function removeFile(id: number): void {
    datasets.value = datasets.value.filter((d) => d.id !== id);
    order.value = order.value.filter((o) => o !== id);
    serials.delete(id);
    maskStage.value = Math.min(maskStage.value, Math.max(0, tasks.value.length - 1));
  }

  function setMapping(id: number, mapping: PlanMapping | null): void {
    const d = entry(id);
    if (d === undefined) return;
    d.mapping = mapping;
    void check(id);
  }

  function setTaskName(id: number, name: string): void {
    const d = entry(id);
    if (d === undefined) return;
    d.taskName = name;
    d.nameEdited = true;
  }

  /** Puts the task at `from` (in the task order) at `to`; files that are not tasks keep their place after them. */
  function moveTask(from: number, to: number): void {
    const ids = tasks.value.map((t) => t.id);
    const moved = moveTo(ids, from, to);
    order.value = [...moved, ...order.value.filter((id) => !ids.includes(id))];
  }

  /** Moves a task one place up (−1) or down (+1); says where it ended up and whether it moved. */
  function moveTaskBy(index: number, delta: number): { index: number; moved: boolean } {
    const r = moveBy(tasks.value, index, delta);
    if (r.moved) moveTask(index, r.index);
    return { index: r.index, moved: r.moved };
  }

  function choosePreset(name: PresetName): void {
    Object.assign(settings.value, presetValues(name, model.value));
  }

  // What training would need: one estimate per distinct question, asked a moment after the last change.
  const trainedRatio = computed(() => (strategy.value === 'full' ? 1 : ratio.value));
  const settingsOk = computed(() => settingsProblems(settings.value).every((p) => p.field !== 'batchSize' && p.field !== 'maxLength'));
  const estimateRequest = computed<Params<'runs.estimate'> | null>(() =>
    model.value === null || !settingsOk.value
      ? null
      : {
          modelPath: model.value.path,
          strategy: strategy.value,
          ratio: trainedRatio.value,
          seed: Number.isSafeInteger(settings.value.seed) && settings.value.seed >= 0 ? settings.value.seed : 0,
          stages: Math.max(1, tasks.value.length),
          freezeEmbeddings: settings.value.freezeEmbeddings,
          batchSize: settings.value.batchSize,
          maxLength: settings.value.maxLength,
        },
  );
  const estimates = ref<Record<string, TrainingEstimate>>({});
  const estimateErrors = ref<Record<string, string>>({});
  const estimateKey = computed(() => (estimateRequest.value === null ? null : JSON.stringify(estimateRequest.value)));
  const estimate = computed(() => (estimateKey.value === null ? null : (estimates.value[estimateKey.value] ?? null)));
  const estimateError = computed(() => (estimateKey.value === null ? null : (estimateErrors.value[estimateKey.value] ?? null)));
  /** fits: the estimate is under 90% of the memory the app can use; unknown: a GPU, whose free memory cannot be known in advance. */
  const fit = computed<'fits' | 'may-not-fit' | 'unknown' | null>(() => {
    const e = estimate.value;
    if (e === null) return null;
    if (e.availableBytes === null) return 'unknown';
    return e.peakBytes <= 0.9 * e.availableBytes ? 'fits' : 'may-not-fit';
  });

  /** The mask picture's question: with one mask for every stage, stage 0's. */
  const maskRequest = computed<MaskRequest | null>(() =>
    model.value === null
      ? null
      : {
          modelPath: model.value.path,
          strategy: strategy.value,
          ratio: trainedRatio.value,
          seed: estimateRequest.value?.seed ?? 0,
          stage: settings.value.redrawEachStage ? Math.min(maskStage.value, Math.max(0, tasks.value.length - 1)) : 0,
          freezeEmbeddings: settings.value.freezeEmbeddings,
        },
  );
  const mask = computed(() => (maskRequest.value === null ? null : models.maskFor(maskRequest.value)));
  const maskError = computed(() => (maskRequest.value === null ? null : models.maskErrorFor(maskRequest.value)));

  let askTimer: ReturnType<typeof setTimeout> | null = null;
  watch([estimateKey, maskRequest], () => {
    // Dragging the slider changes the ratio many times a second; ask once it rests.
    if (askTimer !== null) clearTimeout(askTimer);
    askTimer = setTimeout(() => {
      askTimer = null;
      void askEstimate();
      if (maskRequest.value !== null) void models.drawMask(maskRequest.value);
    }, 150);
  });

  async function askEstimate(): Promise<void> {
    const request = estimateRequest.value;
    const key = estimateKey.value;
    if (request === null || key === null || estimates.value[key] !== undefined) return;
    try {
      estimates.value[key] = await api['runs.estimate'](request);
      delete estimateErrors.value[key];
    } catch (e) {
      estimateErrors.value[key] = errorText(e);
    }
  }

  /** What keeps the user on this step, in words; null when they may go on. */
  function problemAt(name: StepName): string | null {
    switch (name) {
      case 'model':
        if (modelChecking.value) return 'Wait while the model folder is read.';
        return model.value === null ? 'Choose a model folder first, or use the sample model.' : null;
      case 'datasets': {
        if (datasets.value.some((d) => d.state === 'checking')) return 'Wait until every file is checked.';
        const bad = datasets.value.filter((d) => d.state === 'problems' || d.state === 'failed').map((d) => d.fileName);
        if (bad.length > 0) return `Replace or remove ${bad.join(', ')}: ${bad.length === 1 ? 'it has' : 'they have'} problems.`;
        return tasksProblem(tasks.value);
      }
      case 'order':
      case 'freeze':
        return null;
      case 'settings':
        return settingsProblems(settings.value)[0]?.message ?? null;
      case 'review':
        return nameProblem(runName.value, 'run');
    }
  }

  const stepIndex = computed(() => STEPS.findIndex((s) => s.name === step.value));
  const stepProblem = computed(() => problemAt(step.value));
  /** A step can be opened when every step before it is complete. */
  const canVisit = (name: StepName): boolean => STEPS.slice(0, STEPS.findIndex((s) => s.name === name)).every((s) => problemAt(s.name) === null);

  function goTo(name: StepName): void {
    if (canVisit(name)) step.value = name;
  }
  function next(): void {
    const following = STEPS[stepIndex.value + 1];
    if (following !== undefined && stepProblem.value === null) step.value = following.name;
  }
  function back(): void {
    const previous = STEPS[stepIndex.value - 1];
    if (previous !== undefined) step.value = previous.name;
  }

  const plan = computed(() =>
    model.value === null
      ? null
      : buildPlan({
          name: runName.value,
          model: model.value.path,
          probe: isSample.value ? inFolder(model.value.path, 'probe.jsonl') : null,
          tasks: tasks.value.map((t) => ({ name: t.taskName, data: (t.imported as ImportedDatasetView).path, mapping: t.mapping })),
          strategy: strategy.value,
          ratio: ratio.value,
          settings: settings.value,
        }),
  );

  /** Starts the run; resolves with its id (the next visit then starts afresh), or null with `startError` set. */
  async function start(): Promise<string | null> {
    const blocking = STEPS.map((s) => problemAt(s.name)).find((p) => p !== null);
    if (blocking !== undefined || plan.value === null) {
      startError.value = blocking ?? 'Choose a model folder first.';
      return null;
    }
    starting.value = true;
    startError.value = null;
    try {
      const { runId } = await api['runs.start'](plan.value);
      startedRun = runId;
      return runId;
    } catch (e) {
      startError.value = errorText(e);
      return null;
    } finally {
      starting.value = false;
    }
  }

  /** Opens the wizard: afresh after a started run; a model named in the address replaces the one chosen before. */
  async function begin(modelPath: string | null): Promise<void> {
    if (startedRun !== null) reset();
    if (app.info === null) await app.load();
    if (modelPath !== null && modelPath !== model.value?.path) await chooseModel(modelPath);
  }

  function reset(): void {
    startedRun = null;
    modelSerial++;
    serials.clear();
    [step.value, modelInput.value, model.value, modelError.value, modelChecking.value, pickError.value] = ['model', '', null, null, false, null];
    [datasets.value, order.value, strategy.value, ratio.value, maskStage.value] = [[], [], 'category', 0.5, 0];
    [settings.value, customName.value, startError.value] = [defaultSettings(DEFAULT_PRESET, null), null, null];
  }

  return {
    step, stepIndex, stepProblem, problemAt, canVisit, goTo, next, back,
    modelInput, model, modelError, modelChecking, pickError, isSample, modelLabel, chooseModel, pickModelFolder, useSampleModel,
    datasets, tasks, addFiles, replaceFile, removeFile, setMapping, setTaskName, moveTask, moveTaskBy,
    strategy, ratio, trainedRatio, maskStage, mask, maskError, maskRequest,
    settings, presetInUse, choosePreset,
    estimate, estimateError, fit,
    runName, defaultRunName, plan, starting, startError, start, begin, reset,
  };
});
