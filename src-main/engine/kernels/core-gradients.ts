/**
 * Registers tfjs-core's gradient functions, which `@tensorflow/tfjs-core` alone does not.
 *
 * The union package `@tensorflow/tfjs` (and so tfjs-node) imports
 * `@tensorflow/tfjs-core/dist/register_all_gradients`; we depend on tfjs-core directly, whose
 * Node entry (`tf-core.node.js`) has no gradients, so `tf.grads` fails with
 * "gradient function not found for Neg". The gradients exist only as tfjs-core's ESM build
 * (`dist/*.js`), which plain Node cannot load: its imports have no file extensions and the
 * package is not `"type": "module"`. A tiny module resolve hook, scoped to files under
 * `@tensorflow/tfjs-core/dist/`, adds the extension and marks them ESM.
 *
 * That ESM copy of tfjs-core shares the engine and the kernel/gradient registries with the CJS
 * one through tfjs's global namespace, so the gradients it registers serve every backend.
 * It is loaded once per process, only if gradients are missing (~1 s).
 */
import { getGradient } from '@tensorflow/tfjs-core';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Script, constants } from 'node:vm';

/** Node module hook: relative imports inside tfjs-core/dist get `.js` (or `/index.js`), as ESM. */
const RESOLVE_HOOK = `
const DIST = '/@tensorflow/tfjs-core/dist/';
const isCoreEsm = (url) => url.includes(DIST) && !/\\/tf-core\\.[^/]*js$/.test(url);
export async function resolve(specifier, context, next) {
  const parent = context.parentURL;
  if (parent && parent.includes(DIST) && specifier.startsWith('.') && !specifier.endsWith('.js')) {
    let found;
    try { found = await next(specifier + '.js', context); }
    catch { found = await next(specifier + '/index.js', context); }
    return { ...found, format: 'module' };
  }
  const found = await next(specifier, context);
  return isCoreEsm(found.url) ? { ...found, format: 'module' } : found;
}`;

let loading: Promise<void> | null = null;

/** True when tfjs-core's gradients are registered (checked on a kernel every model uses). */
export function hasCoreGradients(): boolean {
  return getGradient('Neg') != null && getGradient('BatchMatMul') != null;
}

/**
 * Makes sure tfjs-core's gradients are registered. Idempotent and cheap after the first call.
 */
export function ensureCoreGradients(): Promise<void> {
  if (hasCoreGradients()) return Promise.resolve();
  loading ??= load().catch((err: unknown) => {
    loading = null;
    const msg = err instanceof Error ? err.message : String(err);
    throw new Error(`could not register tfjs-core gradients: ${msg.split('\n')[0]}`);
  });
  return loading;
}

/**
 * Node's own `import()`. Under Vitest, a plain `import()` goes through its module runner, which
 * re-transforms every tfjs-core file (~7 s instead of ~1 s), so there a vm script using the
 * main context's loader is used instead (Node prints an ExperimentalWarning for it).
 */
function nativeImport(url: string): Promise<unknown> {
  if (!process.env.VITEST) return import(/* @vite-ignore */ url);
  const script = new Script(`import(${JSON.stringify(url)})`, {
    importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  return script.runInThisContext() as Promise<unknown>;
}

async function load(): Promise<void> {
  register(`data:text/javascript,${encodeURIComponent(RESOLVE_HOOK)}`);
  const file = createRequire(import.meta.url).resolve('@tensorflow/tfjs-core/dist/register_all_gradients.js');
  await nativeImport(pathToFileURL(file).href);
  if (!hasCoreGradients()) throw new Error('register_all_gradients loaded but registered nothing');
}
