/**
 * The open run's live side: its step metrics (loss, learning rate, speed, memory) for the charts,
 * kept current by `run.event`s, when each step arrived (for the time left), and the Pause / Resume /
 * Stop controls. The first load is `runs.metrics`; step events are added as they come. Points are
 * kept by step, so a step seen both in an event and in a reload is kept once (the newer copy wins,
 * as in the database, where a resumed run writes over the steps it redoes). A gap in the steps (a
 * connection that dropped for a while) and the run's end each fetch the points after the last one
 * held. The run's status, stages and scores are the runs store's: it reloads them on milestones.
 */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { MetricPoint, RunEvent } from '../../src-main/contract/index.js';
import { api, onEvent } from '../api.js';
import type { StepSample } from '../run-eta.js';
import { errorText } from './errors.js';
import { useRunsStore } from './runs.js';

/** Arrival times kept for the rate: enough for a minute of fast steps, bounded. */
const MAX_SAMPLES = 600;

/** `incoming` merged into `held` (sorted by step): one point per step, the incoming one winning. */
function mergeByStep(held: readonly MetricPoint[], incoming: readonly MetricPoint[]): MetricPoint[] {
  const byStep = new Map<number, MetricPoint>();
  for (const p of held) byStep.set(p.step, p);
  for (const p of incoming) byStep.set(p.step, p);
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}

export type RunAction = 'pause' | 'resume' | 'stop';

export const useLiveStore = defineStore('live', () => {
  const runId = ref<string | null>(null);
  const points = ref<MetricPoint[]>([]);
  const loaded = ref(false);
  const error = ref<string | null>(null);
  /** Step arrivals seen live, for the time left; cleared by a pause (the clock stops then). */
  const samples = ref<StepSample[]>([]);
  /** The trainer said it is paused and still holds the run (Stop can reach it). */
  const held = ref(false);
  /** The control being sent, and the refusal when one failed. */
  const busy = ref<RunAction | null>(null);
  const actionError = ref<string | null>(null);
  /** The newest warning the trainer sent (a damaged checkpoint skipped, for example). */
  const warning = ref<string | null>(null);
  let serial = 0;

  const lastPoint = computed(() => points.value[points.value.length - 1] ?? null);
  const lastStep = computed(() => lastPoint.value?.step ?? 0);

  /** Fetches the points after `afterStep` (all with undefined) and merges them in. */
  async function fetchPoints(id: string, afterStep?: number): Promise<void> {
    const mine = serial;
    try {
      const got = await api['runs.metrics'](afterStep === undefined ? { runId: id } : { runId: id, afterStep });
      if (mine !== serial) return;
      points.value = mergeByStep(points.value, got);
      error.value = null;
    } catch (e) {
      if (mine === serial) error.value = errorText(e);
    } finally {
      if (mine === serial) loaded.value = true;
    }
  }

  /** Shows run `id`: its recorded points now, then every step as it comes. */
  async function open(id: string): Promise<void> {
    if (runId.value !== id) {
      serial++;
      runId.value = id;
      points.value = [];
      samples.value = [];
      loaded.value = false;
      held.value = false;
      warning.value = null;
      actionError.value = null;
    }
    await fetchPoints(id);
  }

  function onStep(e: Extract<RunEvent, { kind: 'step' }>, id: string): void {
    const gap = points.value.length > 0 && e.step > lastStep.value + 1;
    const before = lastStep.value;
    const point: MetricPoint = { step: e.step, stage: e.stage, loss: e.loss, lr: e.lr, tokensPerS: e.tokensPerS, memoryBytes: e.memoryBytes };
    points.value = mergeByStep(points.value, [point]);
    const s = samples.value;
    // A step at or before the last one sampled is a resumed run redoing work: start the clock again.
    samples.value = s.length > 0 && e.step <= s[s.length - 1].step ? [{ step: e.step, atMs: Date.now() }] : [...s.slice(-(MAX_SAMPLES - 1)), { step: e.step, atMs: Date.now() }];
    if (gap) void fetchPoints(id, before);
  }

  onEvent('run.event', (e) => {
    const id = runId.value;
    if (id === null || e.runId !== id) return;
    switch (e.kind) {
      case 'step':
        onStep(e, id);
        break;
      case 'paused':
        held.value = true;
        samples.value = [];
        break;
      case 'resumed':
        held.value = false;
        break;
      case 'stopped':
        held.value = false;
        samples.value = [];
        break;
      case 'warning':
        warning.value = e.message;
        break;
      case 'finished':
        held.value = false;
        samples.value = [];
        void fetchPoints(id, lastStep.value);
        break;
      default:
        break;
    }
  });

  /** Sends Pause, Resume or Stop for the open run, then reloads it (its status changes). */
  async function control(action: RunAction): Promise<void> {
    const id = runId.value;
    if (id === null || busy.value !== null) return;
    busy.value = action;
    actionError.value = null;
    try {
      if (action === 'pause') await api['runs.pause']({ runId: id });
      else if (action === 'resume') await api['runs.resume']({ runId: id });
      else await api['runs.stop']({ runId: id });
      if (action === 'resume') held.value = false;
      await useRunsStore().open(id);
    } catch (e) {
      actionError.value = errorText(e);
    } finally {
      busy.value = null;
    }
  }

  return { runId, points, loaded, error, samples, held, busy, actionError, warning, lastPoint, lastStep, open, control };
});
