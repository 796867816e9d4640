/** @module The derived index's public surface: the facade, what a lookup answers, the anchor map and the index's errors. */
export { CalendarIndex, type IndexOptions, lastIndexedLocation, trustedIndexedLocation, removeIndexFiles, COMMITS_FILE, ANCHORS_FILE, TREES_DIR } from './calendar-index.js';
export type { Lookup } from './proof-lookup.js';
export { type AnchorInfo, AnchorSet } from './anchor-set.js';
export { IndexError, AnchorTipMismatchError, AnchorOutOfRangeError, IndexFailedError, IndexMismatchError, REPAIR_HINT } from './errors.js';
export { assembleProof, sliceRanges, countLeaves } from './proof-assembly.js';
export { BLOCK_LEAVES, BLOCK_LEVEL } from './tree-store.js';
export type { IndexWrite } from './commit-index.js';
