/**
 * The store's public face: open the database, the repositories' record types, the error type.
 * Services import from here, not from the individual files.
 */
export { openStore, SCHEMA_VERSION, type OpenStoreOptions, type Store, type StorePragmas } from './open-store.js';
export { StoreError, type StoreErrorCode } from './errors.js';
export type { Migration } from './migrations/index.js';
export { RUN_STATUSES, type NewRun, type RunRecord, type RunResult, type RunStatus, type RunsRepo } from './runs-repo.js';
export { STAGE_STATUSES, type PlannedStage, type StageRecord, type StageStatus, type StagesRepo } from './stages-repo.js';
export type { MetricInput, MetricRow, MetricsRepo } from './metrics-repo.js';
export { BASE_MODEL_STAGE, PRIOR_KNOWLEDGE_TASK, type EvalRow, type EvalsRepo } from './evals-repo.js';
export type { CheckpointRecord, CheckpointsRepo, NewCheckpoint } from './checkpoints-repo.js';
export type { ModelRecord, ModelsRepo, NewModel } from './models-repo.js';
export type { DatasetRecord, DatasetsRepo, NewDataset } from './datasets-repo.js';
export type { ExportRecord, ExportsRepo, NewExport } from './exports-repo.js';
export type { MergeEvalRow, MergeEvalsRepo } from './merge-evals-repo.js';
