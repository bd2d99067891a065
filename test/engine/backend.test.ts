/**
 * Backend selection: the fallback logic on fake candidates (order, reasons, errors, timeouts),
 * then the real backends here: cpu, wasm, webgpu on lavapipe (compared with cpu), auto, the
 * missing tfjs-node packages, `availableBackends` and `measureMatmulGflops` (printed).
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BACKEND_ORDER,
  type BackendCandidate,
  type BackendName,
  availableBackends,
  explainNodeLoadError,
  initBackend,
  measureMatmulGflops,
  parseBackendName,
  selectBackend,
} from '../../src-main/engine/backend.js';
import { WEBGPU_READ_SYNC_MESSAGE } from '../../src-main/engine/kernels/webgpu-read-sync.js';

if (process.platform === 'linux' && !process.env.XDG_RUNTIME_DIR) {
  process.env.XDG_RUNTIME_DIR = mkdtempSync(path.join(tmpdir(), 'hft-xdg-'));
}

const installed = (pkg: string): boolean => {
  try {
    createRequire(import.meta.url).resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
};

describe('selectBackend with fake candidates', () => {
  const noop = { sanity: async () => {}, registerKernels: async () => {} };
  const tried: string[] = [];
  const fake = (name: BackendName, label: string, result: string | Error, onlyExplicit = false): BackendCandidate => ({
    name,
    label,
    load: async (explicit) => {
      tried.push(label);
      if (onlyExplicit && !explicit) throw new Error(`${label} declines under auto`);
      if (result instanceof Error) throw result;
      return result;
    },
  });
  const fakes = [
    fake('tensorflow', 'tf-gpu', new Error('@tensorflow/tfjs-node-gpu not installed')),
    fake('webgpu', 'webgpu', new Error('no WebGPU adapter: requestAdapter() returned null')),
    fake('tensorflow', 'tf-cpu', new Error('@tensorflow/tfjs-node not installed')),
    fake('wasm', 'wasm', 'WebAssembly SIMD'),
    fake('cpu', 'cpu', 'JavaScript'),
  ];

  it('auto takes the first that works and says why the others were skipped', async () => {
    tried.length = 0;
    const choice = await selectBackend(fakes, 'auto', noop);
    expect(tried).toEqual(['tf-gpu', 'webgpu', 'tf-cpu', 'wasm']);
    expect(choice.backend).toBe('wasm');
    expect(choice.device).toBe('WebAssembly SIMD');
    expect(choice.attempts.map((a) => [a.name, a.ok])).toEqual([
      ['tensorflow', false], ['webgpu', false], ['tensorflow', false], ['wasm', true],
    ]);
    expect(choice.attempts[0].detail).toBe('@tensorflow/tfjs-node-gpu not installed');
    expect(choice.reason).toMatch(/^auto: wasm is the first backend that works; skipped tf-gpu: @tensorflow\/tfjs-node-gpu not installed; webgpu: no WebGPU adapter/);
  });

  it('auto says when the first candidate works', async () => {
    const choice = await selectBackend([fake('webgpu', 'webgpu', 'GPU'), ...fakes], 'auto', noop);
    expect(choice.reason).toBe('auto: webgpu is the first backend that works (first in order)');
  });

  it('a failing sanity check or kernel registration counts as a failure', async () => {
    let calls = 0;
    const sanity = async () => {
      if (calls++ === 0) throw new Error('sanity check computed [0,0], expected [19,22]');
    };
    const choice = await selectBackend([fake('webgpu', 'webgpu', 'GPU'), fake('wasm', 'wasm', 'SIMD')], 'auto', { ...noop, sanity });
    expect(choice.backend).toBe('wasm');
    expect(choice.attempts[0]).toEqual({ name: 'webgpu', ok: false, detail: 'sanity check computed [0,0], expected [19,22]' });
    const registerKernels = async (n: BackendName) => {
      if (n === 'webgpu') throw new Error('could not register');
    };
    expect((await selectBackend([fake('webgpu', 'webgpu', 'GPU'), fake('cpu', 'cpu', 'JS')], 'auto', { ...noop, registerKernels })).backend).toBe('cpu');
  });

  it('a named backend tries only its own candidates, explicitly', async () => {
    tried.length = 0;
    const choice = await selectBackend([fake('webgpu', 'webgpu', 'lavapipe', true), ...fakes], 'webgpu', noop);
    expect(tried).toEqual(['webgpu']);
    expect(choice).toMatchObject({ backend: 'webgpu', device: 'lavapipe', reason: 'requested webgpu' });
    tried.length = 0;
    await expect(selectBackend(fakes, 'tensorflow', noop)).rejects.toThrow(
      "backend 'tensorflow' is not available (tf-gpu: @tensorflow/tfjs-node-gpu not installed; tf-cpu: @tensorflow/tfjs-node not installed); valid backends: auto, tensorflow, webgpu, wasm, cpu",
    );
    expect(tried).toEqual(['tf-gpu', 'tf-cpu']);
  });

  it('a candidate may decline under auto (software WebGPU) but not when named', async () => {
    const soft = fake('webgpu', 'webgpu', 'llvmpipe', true);
    expect((await selectBackend([soft, fake('wasm', 'wasm', 'SIMD')], 'auto', noop)).backend).toBe('wasm');
    expect((await selectBackend([soft], 'webgpu', noop)).backend).toBe('webgpu');
  });

  it('errors are one line when nothing works', async () => {
    const err = await selectBackend(fakes.slice(0, 3), 'auto', noop).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).not.toContain('\n');
    expect((err as Error).message).toMatch(/^no tfjs backend works \(tf-gpu: .*\); valid backends: auto, tensorflow/);
  });

  it('a hung candidate times out and the next one is tried', async () => {
    const hung: BackendCandidate = { name: 'webgpu', label: 'webgpu', load: () => new Promise<string>(() => {}) };
    const choice = await selectBackend([hung, fake('cpu', 'cpu', 'JS')], 'auto', { ...noop, timeoutMs: 50 });
    expect(choice.backend).toBe('cpu');
    expect(choice.attempts[0].detail).toBe('webgpu timed out after 0.05 s');
  });
});

describe('names and load errors', () => {
  it('parses names and rejects unknown ones with the valid list', () => {
    expect(BACKEND_ORDER).toEqual(['tensorflow', 'webgpu', 'wasm', 'cpu']);
    expect(parseBackendName(undefined)).toBe('auto');
    expect(parseBackendName(' WASM ')).toBe('wasm');
    expect(() => parseBackendName('nonsense')).toThrow("unknown backend 'nonsense'; valid backends: auto, tensorflow, webgpu, wasm, cpu");
  });

  it('explains tfjs-node load failures in one line', () => {
    const pkg = '@tensorflow/tfjs-node-gpu';
    expect(explainNodeLoadError(pkg, new Error('libcudart.so.11.0: cannot open shared object file: No such file or directory\nRequire stack: ...')))
      .toBe('CUDA/libtensorflow libraries missing: libcudart.so.11.0: cannot open shared object file: No such file or directory');
    expect(explainNodeLoadError(pkg, new Error("Cannot find module '/x/lib/napi-v8/tfjs_binding.node'"))).toMatch(/native binding missing/);
    expect(explainNodeLoadError(pkg, new Error('boom'))).toBe('@tensorflow/tfjs-node-gpu failed to load: boom');
  });
});

describe('real backends', () => {
  /** A matmul with transposes plus its gradients, read back asynchronously (webgpu has no dataSync in Node). */
  const probe = async (): Promise<number[][]> => {
    const outs = tf.tidy(() => {
      const a = tf.randomUniform([3, 16, 24], -1, 1, 'float32', 1);
      const b = tf.randomUniform([3, 20, 24], -1, 1, 'float32', 2);
      const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, y, false, true)));
      return [tf.matMul(a, b, false, true), ...tf.grads(f)([a, b])];
    });
    const values = await Promise.all(outs.map(async (t) => Array.from(await t.data())));
    tf.dispose(outs);
    return values;
  };
  const maxDiff = (x: number[][], y: number[][]) => Math.max(...x.flatMap((xs, i) => xs.map((v, j) => Math.abs(v - y[i][j]))));

  it('rejects unknown names', async () => {
    await expect(initBackend('nonsense')).rejects.toThrow(/unknown backend 'nonsense'; valid backends: auto, tensorflow, webgpu, wasm, cpu/);
  });

  it.skipIf(installed('@tensorflow/tfjs-node-gpu') || installed('@tensorflow/tfjs-node'))(
    'tensorflow: says the packages are not installed',
    async () => {
      await expect(initBackend('tensorflow')).rejects.toThrow(
        /^backend 'tensorflow' is not available \(tensorflow \(tfjs-node-gpu\): @tensorflow\/tfjs-node-gpu not installed; tensorflow \(tfjs-node\): @tensorflow\/tfjs-node not installed\); valid backends/,
      );
    },
  );

  it('cpu and wasm initialise, agree, and re-initialising is cheap', async () => {
    const cpu = await initBackend('cpu');
    expect(cpu).toMatchObject({ backend: 'cpu', reason: 'requested cpu' });
    expect(tf.getBackend()).toBe('cpu');
    const want = await probe();
    const wasm = await initBackend('wasm');
    expect(wasm.backend).toBe('wasm');
    expect(wasm.device).toMatch(/WebAssembly/);
    expect(maxDiff(await probe(), want)).toBeLessThan(1e-3);
    const t = performance.now();
    expect(await initBackend('wasm')).toBe(wasm);
    expect(performance.now() - t).toBeLessThan(50);
  });

  it('webgpu (lavapipe here) initialises and agrees with cpu', async () => {
    await initBackend('cpu');
    const want = await probe();
    const gpu = await initBackend('webgpu');
    expect(gpu.backend).toBe('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    expect(gpu.device).toMatch(/ via (Vulkan|Metal|D3D12)$/);
    expect(maxDiff(await probe(), want)).toBeLessThan(1e-3);
    const before = tf.memory().numTensors;
    await probe();
    expect(tf.memory().numTensors).toBe(before);
    const onGpu = tf.matMul(tf.ones([2, 2]), tf.ones([2, 2]));
    expect(() => onGpu.dataSync()).toThrow(WEBGPU_READ_SYNC_MESSAGE);
    expect(Array.from(await onGpu.data())).toEqual([2, 2, 2, 2]);
    tf.dispose(onGpu);
  });

  it('auto picks webgpu or wasm here and says why tensorflow was skipped', async () => {
    const choice = await initBackend();
    expect(['webgpu', 'wasm']).toContain(choice.backend);
    expect(choice.attempts[0]).toMatchObject({ name: 'tensorflow', ok: false });
    expect(choice.reason).toMatch(/^auto: (webgpu|wasm) is the first backend that works; skipped tensorflow \(tfjs-node-gpu\): @tensorflow\/tfjs-node-gpu not installed/);
    console.log(`auto: ${choice.backend} on ${choice.device}\n  ${choice.reason}`);
    expect(await initBackend('auto')).toBe(choice);
  });

  it('availableBackends tries all and restores the active backend; GFLOP/s printed', async () => {
    await initBackend('wasm');
    const attempts = await availableBackends();
    expect(tf.getBackend()).toBe('wasm');
    expect(attempts.map((a) => a.name)).toEqual(['tensorflow', 'webgpu', 'tensorflow', 'wasm', 'cpu']);
    expect(attempts.filter((a) => a.ok).map((a) => a.name)).toEqual(expect.arrayContaining(['wasm', 'cpu']));
    const lines: string[] = [];
    for (const a of attempts.filter((x) => x.ok && x.name !== 'tensorflow')) {
      await initBackend(a.name);
      const gflops = await measureMatmulGflops(256);
      expect(gflops).toBeGreaterThan(0);
      lines.push(`${a.name} (${a.detail}): ${gflops.toFixed(2)} GFLOP/s at 256`);
    }
    console.log(`matmul:\n  ${lines.join('\n  ')}`);
  });
});
