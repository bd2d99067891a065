/**
 * Picks the tfjs backend the engine runs on, and says which and why (DESIGN §4 "Backends").
 *
 * Auto order: tensorflow via tfjs-node-gpu (CUDA), webgpu (Dawn for Node), tensorflow via
 * tfjs-node (CPU), wasm (SIMD), cpu (pure JS). A candidate wins when it initialises and passes a
 * tiny matmul + gradient check; every attempt is recorded with a one-line reason. The optional
 * tfjs-node packages are loaded only if installed. Our kernels (kernels/index.ts) are registered
 * for the winner. Loaders are injectable (`selectBackend`) so the fallback logic is testable.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { registerEngineKernels } from './kernels/index.js';

export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
/** Backend names in DESIGN §4 priority order (tensorflow covers tfjs-node-gpu and tfjs-node). */
export const BACKEND_ORDER: readonly BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];
export interface BackendAttempt { name: BackendName; ok: boolean; detail: string }
export interface BackendChoice { backend: BackendName; device: string; reason: string; attempts: BackendAttempt[] }

/**
 * One way to get a backend. `load` activates it (tf.setBackend) and returns the device, or throws
 * a one-line reason. `explicit` is false under auto, where a candidate may decline (software WebGPU).
 */
export interface BackendCandidate { name: BackendName; label: string; load(explicit: boolean): Promise<string> }
export interface SelectOptions {
  /** Checks the active backend computes right; throws otherwise. */
  sanity?: () => Promise<void>;
  /** Registers our kernels for the winner. */
  registerKernels?: (name: BackendName) => Promise<void>;
  /** Per-candidate limit for load + kernels + sanity, so a wedged driver cannot hang start-up. */
  timeoutMs?: number;
}

const VALID = `valid backends: auto, ${BACKEND_ORDER.join(', ')}`;
const require = createRequire(import.meta.url);
const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0].trim();

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms / 1000} s`)), ms);
    timer.unref?.();
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

/** tf.setBackend, turning its `false` and console warnings into an Error that quotes them. */
async function activate(name: string): Promise<void> {
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => void warnings.push(args.map(String).join(' '));
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
  } finally {
    console.warn = warn;
  }
  if (ok && tf.getBackend() === name) return warnings.forEach((w) => warn(w));
  if (ok) throw new Error(`tf.setBackend('${name}') left '${tf.getBackend()}' active`);
  // tfjs warns "Initialization of backend X failed", then the error's stack.
  const why = warnings.map((w) => w.split('\n')[0]).join(': ') || `tf.setBackend('${name}') returned false`;
  throw new Error(`initialisation failed: ${why}`);
}

// ---- tensorflow (tfjs-node-gpu / tfjs-node) ---------------------------------------------

/** Why a tfjs-node import failed, in one line. Exported for tests. */
export function explainNodeLoadError(pkg: string, err: unknown): string {
  const line = firstLine(err);
  if (/tfjs_binding\.node/.test(line)) return `${pkg} native binding missing (its install did not fetch libtensorflow): ${line}`;
  if (/\.so\b|\.so\.|\.dll|\.dylib|dlopen|shared object|libtensorflow|cuda|cudnn/i.test(line)) {
    return `CUDA/libtensorflow libraries missing: ${line}`;
  }
  return `${pkg} failed to load: ${line}`;
}

/** The package that registered the 'tensorflow' backend: both use that name, so only one can. */
let tensorflowPkg: string | null = null;
let tensorflowVersion = '';

async function importTensorflow(pkg: string): Promise<void> {
  try {
    require.resolve(`${pkg}/package.json`);
  } catch {
    throw new Error(`${pkg} not installed`);
  }
  let mod: { version?: Record<string, string>; findBackendFactory?: (n: string) => unknown };
  try {
    mod = (await import(/* @vite-ignore */ pkg)) as typeof mod;
  } catch (err) {
    throw new Error(explainNodeLoadError(pkg, err));
  }
  if (tf.findBackendFactory('tensorflow') == null) {
    const theirs = mod.version?.['tfjs-core'] ?? 'unknown';
    const where = mod.findBackendFactory?.('tensorflow') != null ? 'into a different @tensorflow/tfjs-core instance' : 'nowhere';
    throw new Error(`${pkg} registered the 'tensorflow' backend ${where} (its tfjs-core ${theirs}, ours ${tf.version_core})`);
  }
  tensorflowPkg = pkg;
  tensorflowVersion = mod.version?.['tfjs-node'] ?? mod.version?.['tfjs-node-gpu'] ?? '';
}

/** tfjs-node-gpu must see a CUDA device; the CPU candidate also accepts tfjs-node-gpu running on CPU. */
async function loadTensorflow(pkg: string, wantGpu: boolean): Promise<string> {
  if (tensorflowPkg == null) await importTensorflow(pkg);
  else if (wantGpu && tensorflowPkg !== pkg) throw new Error(`the 'tensorflow' backend is already provided by ${tensorflowPkg}`);
  await activate('tensorflow');
  const onGpu = (tf.backend() as unknown as { isUsingGpuDevice?: boolean }).isUsingGpuDevice === true;
  if (wantGpu && !onGpu) throw new Error(`${pkg} loaded, but TensorFlow found no CUDA GPU`);
  return `${onGpu ? 'CUDA' : 'CPU'} via ${tensorflowPkg}${tensorflowVersion ? ` ${tensorflowVersion}` : ''}`;
}

// ---- webgpu (Dawn for Node) ---------------------------------------------------------------

const ADAPTER_TIMEOUT_MS = 10_000;
let webgpuDevice: string | null = null;

/** What Dawn runs on, per platform (it does not report its backend in the adapter info). */
const GRAPHICS_API: Partial<Record<NodeJS.Platform, string>> = { darwin: 'Metal', win32: 'D3D12' };

/** Puts Dawn's `navigator.gpu` (and the GPU* globals) on globalThis, once. */
async function installNavigatorGpu(): Promise<GPU> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return nav.gpu;
  if (process.platform === 'linux' && !process.env.XDG_RUNTIME_DIR) {
    process.env.XDG_RUNTIME_DIR = mkdtempSync(path.join(tmpdir(), 'hft-xdg-'));
  }
  let dawn: typeof import('webgpu');
  try {
    dawn = await import('webgpu');
  } catch (err) {
    throw new Error(`the webgpu package (Dawn) failed to load: ${firstLine(err)}`);
  }
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create([]);
  if (nav == null) {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  } else {
    Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true, writable: true });
  }
  return gpu;
}

/** lavapipe / llvmpipe / SwiftShader: WebGPU emulated on the CPU, 10-20x slower than wasm here. */
let webgpuSoftware = false;
const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|swiftshader|software/i;

async function loadWebgpu(explicit: boolean): Promise<string> {
  if (webgpuDevice == null) {
    const gpu = await installNavigatorGpu();
    const adapter = await withTimeout(gpu.requestAdapter({ powerPreference: 'high-performance' }), ADAPTER_TIMEOUT_MS, 'requestAdapter()');
    if (adapter == null) throw new Error('no WebGPU adapter: navigator.gpu.requestAdapter() returned null');
    await import('@tensorflow/tfjs-backend-webgpu');
    if (tf.findBackendFactory('webgpu') == null) throw new Error('@tensorflow/tfjs-backend-webgpu did not register (navigator.gpu missing at import)');
    const info = adapter.info;
    const name = info.description || info.device || `${info.vendor} ${info.architecture}`.trim() || 'unknown adapter';
    webgpuDevice = `${name} via ${GRAPHICS_API[process.platform] ?? 'Vulkan'}`;
    const fallback = (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
    webgpuSoftware = fallback || SOFTWARE_ADAPTER.test(`${info.architecture} ${info.device} ${info.description}`);
  }
  if (webgpuSoftware && !explicit) {
    throw new Error(`software adapter (${webgpuDevice}) is slower than wasm (--backend webgpu forces it)`);
  }
  await activate('webgpu');
  return webgpuDevice;
}

// ---- wasm and cpu ------------------------------------------------------------------------

let wasmPathsSet = false;

async function loadWasm(): Promise<string> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (!wasmPathsSet) {
    // A file-system path: Node's emscripten loader reads the .wasm files with fs.
    const dist = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
    wasm.setWasmPaths(dist + path.sep);
    wasmPathsSet = true;
  }
  await activate('wasm');
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = wasm.getThreadsCount();
  return `WebAssembly${simd ? ' SIMD' : ''}, ${threads} thread${threads === 1 ? '' : 's'}`;
}

async function loadCpu(): Promise<string> {
  await import('@tensorflow/tfjs-backend-cpu');
  await activate('cpu');
  // We choose backends ourselves: silence tfjs-backend-cpu's "install tfjs-node" banner.
  (tf.findBackend('cpu') as unknown as { firstUse?: boolean }).firstUse = false;
  return 'JavaScript (no SIMD)';
}

/** The real candidates, in auto order. */
export const CANDIDATES: readonly BackendCandidate[] = [
  { name: 'tensorflow', label: 'tensorflow (tfjs-node-gpu)', load: () => loadTensorflow('@tensorflow/tfjs-node-gpu', true) },
  { name: 'webgpu', label: 'webgpu', load: loadWebgpu },
  { name: 'tensorflow', label: 'tensorflow (tfjs-node)', load: () => loadTensorflow('@tensorflow/tfjs-node', false) },
  { name: 'wasm', label: 'wasm', load: loadWasm },
  { name: 'cpu', label: 'cpu', load: loadCpu },
];

// ---- selection ---------------------------------------------------------------------------

/** A tiny matmul (with a transpose flag) and a gradient on the active backend, checked against known values. */
export async function sanityCheck(): Promise<void> {
  const [prod, grad] = tf.tidy(() => {
    const a = tf.tensor2d([[1, 2], [3, 4]]);
    const b = tf.tensor2d([[5, 7], [6, 8]]);
    return [tf.matMul(a, b, false, true), tf.grad((x: tf.Tensor) => tf.sum(tf.square(x)))(a)];
  });
  try {
    const got = [...(await prod.data()), ...(await grad.data())];
    const want = [19, 22, 43, 50, 2, 4, 6, 8];
    if (got.some((v, i) => Math.abs(v - want[i]) > 1e-3)) throw new Error(`sanity check computed [${got}], expected [${want}]`);
  } finally {
    tf.dispose([prod, grad]);
  }
}

/** Normalises a --backend value; throws on unknown names. */
export function parseBackendName(requested?: string): BackendName | 'auto' {
  const name = (requested ?? 'auto').trim().toLowerCase() || 'auto';
  if (name === 'auto' || (BACKEND_ORDER as readonly string[]).includes(name)) return name as BackendName | 'auto';
  throw new Error(`unknown backend '${requested}'; ${VALID}`);
}

type Outcome = { ok: true; device: string } | { ok: false; why: string };

/** Loads one candidate, registers our kernels for it and checks it, within the time limit. */
async function tryCandidate(c: BackendCandidate, explicit: boolean, options: SelectOptions): Promise<Outcome> {
  const { sanity = sanityCheck, registerKernels = registerEngineKernels, timeoutMs = 120_000 } = options;
  let abandoned = false;
  const run = async (): Promise<string> => {
    const device = await c.load(explicit);
    if (abandoned) {
      // It timed out and another backend won meanwhile: undo this late tf.setBackend.
      if (current != null) await tf.setBackend(current.choice.backend);
      throw new Error(`${c.label} finished loading after its time limit`);
    }
    await registerKernels(c.name);
    await sanity();
    return device;
  };
  try {
    return { ok: true, device: await withTimeout(run(), timeoutMs, c.label) };
  } catch (err) {
    abandoned = true;
    return { ok: false, why: firstLine(err) };
  }
}

/**
 * Tries `candidates` in order (only those named `requested`, unless 'auto'); the first that
 * loads and passes the sanity check wins. Throws a one-line error when none does.
 */
export async function selectBackend(
  candidates: readonly BackendCandidate[],
  requested: BackendName | 'auto',
  options: SelectOptions = {},
): Promise<BackendChoice> {
  const attempts: BackendAttempt[] = [];
  const failed: string[] = [];
  for (const c of candidates) {
    if (requested !== 'auto' && c.name !== requested) continue;
    const outcome = await tryCandidate(c, requested !== 'auto', options);
    if (outcome.ok) {
      attempts.push({ name: c.name, ok: true, detail: outcome.device });
      const skipped = failed.length ? `; skipped ${failed.join('; ')}` : '';
      const reason =
        requested === 'auto'
          ? `auto: ${c.label} is the first backend that works${skipped || ' (first in order)'}`
          : `requested ${requested}${skipped}`;
      return { backend: c.name, device: outcome.device, reason, attempts };
    }
    attempts.push({ name: c.name, ok: false, detail: outcome.why });
    failed.push(`${c.label}: ${outcome.why}`);
  }
  if (requested === 'auto') throw new Error(`no tfjs backend works (${failed.join('; ')}); ${VALID}`);
  throw new Error(`backend '${requested}' is not available (${failed.join('; ') || 'no loader for it'}); ${VALID}`);
}

let current: { requested: BackendName | 'auto'; choice: BackendChoice } | null = null;
/** Calls run one at a time: two selections must not interleave their tf.setBackend calls. */
let queue: Promise<unknown> = Promise.resolve();

function serially<T>(f: () => Promise<T>): Promise<T> {
  const run = queue.then(f, f);
  queue = run.catch(() => undefined);
  return run;
}

/** Selects, activates and prepares the backend; see the module doc. Cheap when nothing changes. */
export function initBackend(requested?: string): Promise<BackendChoice> {
  return serially(async () => {
    const name = parseBackendName(requested);
    const same = current && (name === current.requested || name === current.choice.backend);
    if (current && same && tf.engine().backendName === current.choice.backend) return current.choice;
    const choice = await selectBackend(CANDIDATES, name);
    current = { requested: name, choice };
    return choice;
  });
}

/** Tries every candidate (for `hft probe`), then re-activates the backend that was active. */
export function availableBackends(options: SelectOptions = {}): Promise<BackendAttempt[]> {
  return serially(async () => {
    const active = tf.engine().backendName;
    const attempts: BackendAttempt[] = [];
    for (const c of CANDIDATES) {
      const outcome = await tryCandidate(c, true, options);
      attempts.push({ name: c.name, ok: outcome.ok, detail: outcome.ok ? outcome.device : outcome.why });
    }
    if (active && tf.findBackend(active) != null) await tf.setBackend(active);
    return attempts;
  });
}

/**
 * GFLOP/s of a square float32 matmul on the active backend: warmed up, then timed over enough
 * repetitions to take ~0.5 s, each one waited for with `await data()`.
 */
export async function measureMatmulGflops(size = 512): Promise<number> {
  const [a, b] = [tf.randomUniform([size, size], -1, 1), tf.randomUniform([size, size], -1, 1)];
  const once = async (): Promise<void> => {
    const c = tf.matMul(a, b);
    await c.data();
    c.dispose();
  };
  try {
    await once();
    await once();
    let reps = 0;
    const start = performance.now();
    while (reps < 3 || performance.now() - start < 500) {
      await once();
      reps++;
    }
    const seconds = (performance.now() - start) / 1000;
    return (2 * size ** 3 * reps) / seconds / 1e9;
  } finally {
    tf.dispose([a, b]);
  }
}
