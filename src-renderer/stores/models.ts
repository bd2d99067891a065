/**
 * Models on disk: what a model folder holds (`models.inspect`) and the picture of what Half
 * Fine-Tuning would train in it (`masks.draw`). Both answers depend only on their arguments, so
 * they are kept per argument and asked for once.
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { MaskView, ModelInfo, Params } from '../../src-main/contract/index.js';
import { api } from '../api.js';
import { errorText } from './errors.js';

export type MaskRequest = Params<'masks.draw'>;

const maskKey = (p: MaskRequest): string => JSON.stringify([p.modelPath, p.strategy, p.ratio, p.seed, p.stage, p.freezeEmbeddings]);

export const useModelsStore = defineStore('models', () => {
  const info = ref<Record<string, ModelInfo>>({});
  const infoError = ref<Record<string, string>>({});
  const masks = ref<Record<string, MaskView>>({});
  const maskError = ref<Record<string, string>>({});

  async function inspect(path: string): Promise<ModelInfo | null> {
    const known = info.value[path];
    if (known !== undefined) return known;
    try {
      const got = await api['models.inspect']({ path });
      info.value[path] = got;
      delete infoError.value[path];
      return got;
    } catch (e) {
      infoError.value[path] = errorText(e);
      return null;
    }
  }

  async function drawMask(request: MaskRequest): Promise<MaskView | null> {
    const key = maskKey(request);
    const known = masks.value[key];
    if (known !== undefined) return known;
    try {
      const got = await api['masks.draw'](request);
      masks.value[key] = got;
      delete maskError.value[key];
      return got;
    } catch (e) {
      maskError.value[key] = errorText(e);
      return null;
    }
  }

  const maskFor = (request: MaskRequest): MaskView | null => masks.value[maskKey(request)] ?? null;
  const maskErrorFor = (request: MaskRequest): string | null => maskError.value[maskKey(request)] ?? null;

  return { info, infoError, inspect, drawMask, maskFor, maskErrorFor };
});
