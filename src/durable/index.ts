/** @module Durable file writes (temp file, fsync, rename, fsync of the directory) and the file-operation seams they go through; used by every part that writes a file which must survive a crash. */
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
