/** @module Durable file writes (temp file, fsync, rename, fsync of the directory), the file-operation seams they go through, and the kernel-held lock that gives a directory one live owner; used by every part that writes a file which must survive a crash. */
export { type FileIo, type SyncFileIo, nodeIo, nodeSyncIo, makeIo, errnoOf } from './file-io.js';
export {
  type DurableStep,
  DurableWriteError,
  TEMP_SUFFIX,
  writeAll,
  fsyncDir,
  writeFileDurably,
  writeFileDurablySync,
  createFileDurablySync,
} from './durable-write.js';
export { FileLockedError, lockFile } from './file-lock.js';
export { readTextIfPresent } from './read-if-present.js';
