/**
 * paracle-hooks: the state core as a library. The `paracle` CLI and the git hooks are built on
 * exactly these functions.
 */
export {
  ParacleError,
  StateConflictError,
  StateLockError,
  StateParseError,
  StateWriteError,
  StateMissingError,
  AuditEntryError,
  RollbackError,
  type ErrorCode,
  type LockHolder,
} from './errors.js';
export { findParacRoot, stateFilePath, auditLogPath } from './state/paths.js';
export { parseStateText, rewriteYaml, type ParsedState } from './document/document.js';
export { ParacState, CurrentPhase, blockerAddedDate, type Blocker, type RecordedChange, type StatePath } from './state/model.js';
export {
  loadState,
  saveState,
  saveStateReport,
  type SaveReport,
  updateState,
  updateWithRetry,
  type LoadOptions,
  type SaveOptions,
  type UpdateOptions,
  type RetryOptions,
  type AuditOverride,
  type WrittenState,
  type WarningHandler,
} from './store/store.js';
export {
  logStateChange,
  appendStateChanges,
  getRecentChanges,
  clearOldChanges,
  readAuditLog,
  type StateChangeEntry,
  type StateChangeInput,
} from './log/audit-log.js';
export { reconcileStates, reconcileAuditEntry, type ReconcileResult } from './reconcile/reconcile-states.js';
export { mergeData, type DataMerge, type MergeConflict } from './reconcile/merge-data.js';
export { mergeStateTexts, type StateMergeInput, type StateMergeResult } from './merge-driver/merge-state-texts.js';
export { verifyWorkspace, type VerifyOptions } from './verify/verify-workspace.js';
export type { VerifyReport } from './verify/verify-report.js';
export { STATE_SCHEMA } from './schema/state-schema.js';
export {
  stateAt,
  keyHistory,
  replayState,
  revertRevision,
  TrailGapError,
  RevertConflictError,
  type ReplayCheck,
  type RevertResult,
} from './history/history.js';
export type { KeyChange } from './history/key-history.js';
export type { TrailState, TrailEntry, JsonPatch } from './log/trail.js';
