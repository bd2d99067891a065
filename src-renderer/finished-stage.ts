/**
 * The setup shared by the pages that use one of a run's finished stages (Export, Playground): the
 * page's run is opened in the runs store and in the page's own store whenever it changes; `detail`
 * is the runs store's open run once it is this page's; `finished` its finished stages; and `stage`
 * the chosen one, which starts at the newest finished stage and goes back there if the chosen one
 * is no longer among them.
 */
import { computed, ref, watch, type ComputedRef, type Ref } from 'vue';
import type { RunDetail, StageView } from '../src-main/contract/index.js';
import { useRunsStore } from './stores/runs.js';

export interface FinishedStage {
  detail: ComputedRef<RunDetail | null>;
  finished: ComputedRef<StageView[]>;
  stage: Ref<number | null>;
}

/** `openPage` opens the run in the page's own store, before the runs store reads it. */
export function useFinishedStage(runId: () => string, openPage: (runId: string) => void): FinishedStage {
  const runs = useRunsStore();
  watch(
    runId,
    (id) => {
      openPage(id);
      void runs.open(id);
    },
    { immediate: true },
  );

  const detail = computed(() => (runs.detail?.run.id === runId() ? runs.detail : null));
  const finished = computed(() => detail.value?.stages.filter((s) => s.status === 'done') ?? []);
  const stage = ref<number | null>(null);
  watch(
    finished,
    (stages) => {
      if (stage.value === null || !stages.some((s) => s.index === stage.value)) stage.value = stages[stages.length - 1]?.index ?? null;
    },
    { immediate: true },
  );
  return { detail, finished, stage };
}
