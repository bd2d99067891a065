/**
 * Child process of load-memory.test.ts: loads a model folder and reports the peak resident memory
 * the load added, measured by the kernel (VmHWM after resetting it through /proc/self/clear_refs).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { initBackend } from '../../src-main/engine/backend.js';
import { loadModel } from '../../src-main/engine/load.js';

const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'))![1]);

const [dir, backend] = process.argv.slice(2);
await initBackend(backend);
globalThis.gc?.();
writeFileSync('/proc/self/clear_refs', '5'); // resets VmHWM to the current RSS
const before = kb('VmRSS');
const { params } = loadModel(dir);
const peak = kb('VmHWM') - before;
const floatBytes = Object.values(params).reduce((s, t) => s + 4 * t.size, 0);
process.stdout.write(JSON.stringify({ peakBytes: peak * 1024, floatBytes }));
process.exit(0);
