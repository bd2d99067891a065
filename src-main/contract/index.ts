/**
 * The typed contract shared by the main process and the renderer (DESIGN §3): methods with their
 * argument schemas, result and domain types. Pure TypeScript: no Node, Electron or tfjs imports.
 */
export * from './methods.js';
export * from './plan.js';
export * from './schema.js';
export * from './types.js';
export * from './wire.js';
