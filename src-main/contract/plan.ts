/**
 * The plan file's shape, limits and defaults, as `runs.start` takes it: part of the contract so
 * the renderer's wizard builds plans from the same table the parser checks (formats/plan-types.ts,
 * pure data with no Node imports), without reaching into formats/ itself.
 */
export * from '../formats/plan-types.js';
export type { NumberRule } from '../formats/plan-fields.js';
