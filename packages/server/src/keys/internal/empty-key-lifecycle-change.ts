import type { KeyLifecycleChange } from '../key-store.js';

/** A fresh lifecycle change with nothing in it (the store and the rotation schedule fill it in). */
export function emptyKeyLifecycleChange(): KeyLifecycleChange {
  return {
    created: [],
    scheduled: [],
    activated: [],
    retired: [],
    revoked: [],
    removed: [],
    skipped: false,
    refused: [],
  };
}
