// Durable writes: the syscall order of each, and what a failure at each step leaves behind.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DurableWriteError,
  createFileDurablySync,
  makeIo,
  nodeSyncIo,
  writeFileDurably,
  writeFileDurablySync,
  type DurableStep,
  type SyncFileIo,
} from '../../src/durable/index.js';

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'durable-'));
}

/** The real operations, recording each call; `fail` makes the named step throw EIO. */
function recordingSyncIo(fail?: 'open' | 'write' | 'fsync' | 'close' | 'rename'): { io: SyncFileIo; calls: string[] } {
  const calls: string[] = [];
  const eio = (): never => {
    throw Object.assign(new Error('injected'), { code: 'EIO' });
  };
  const io: SyncFileIo = {
    open: (p, f, m) => (calls.push(`open ${String(f)}`), fail === 'open' ? eio() : nodeSyncIo.open(p, f, m)),
    write: (fd, d, o, l, pos) => (calls.push('write'), fail === 'write' ? eio() : nodeSyncIo.write(fd, d, o, l, pos)),
    fsync: (fd) => (calls.push('fsync'), fail === 'fsync' ? eio() : nodeSyncIo.fsync(fd)),
    close: (fd) => (calls.push('close'), nodeSyncIo.close(fd)),
    rename: (a, b) => (calls.push('rename'), fail === 'rename' ? eio() : nodeSyncIo.rename(a, b)),
    unlink: (p) => (calls.push('unlink'), nodeSyncIo.unlink(p)),
  };
  return { io, calls };
}

describe('writeFileDurablySync', () => {
  it('writes a temporary file, fsyncs it, renames it over the target and fsyncs the directory', () => {
    const dir = scratch();
    try {
      const { io, calls } = recordingSyncIo();
      writeFileDurablySync(join(dir, 'state.json'), '{"a":1}', { io, mode: 0o600 });
      expect(calls).toEqual(['open w', 'write', 'fsync', 'close', 'rename', 'open r', 'fsync', 'close']);
      expect(readFileSync(join(dir, 'state.json'), 'utf8')).toBe('{"a":1}');
      expect(statSync(join(dir, 'state.json')).mode & 0o777).toBe(0o600);
      expect(readdirSync(dir)).toEqual(['state.json']);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it.each(['open', 'write', 'fsync', 'rename'] as const)('a failed %s leaves the old content and names the step', (step) => {
    const dir = scratch();
    try {
      const path = join(dir, 'state.json');
      writeFileSync(path, 'old');
      const { io } = recordingSyncIo(step);
      let thrown: unknown;
      try {
        writeFileDurablySync(path, 'new', { io });
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(DurableWriteError);
      expect((thrown as DurableWriteError).step).toBe(step satisfies DurableStep);
      expect((thrown as DurableWriteError).errno).toBe('EIO');
      expect((thrown as DurableWriteError).syncFailed).toBe(step === 'fsync');
      expect(readFileSync(path, 'utf8')).toBe('old');
      expect(readdirSync(dir)).toEqual(['state.json']);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

describe('createFileDurablySync', () => {
  it('creates once; a second create leaves the first file as it is', () => {
    const dir = scratch();
    try {
      const path = join(dir, 'key');
      expect(createFileDurablySync(path, 'first', { mode: 0o600 })).toBe(true);
      expect(createFileDurablySync(path, 'second', { mode: 0o600 })).toBe(false);
      expect(readFileSync(path, 'utf8')).toBe('first');
      expect(statSync(path).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('removes a partly written file when a step after the create fails, so a retry starts clean', () => {
    const dir = scratch();
    try {
      const path = join(dir, 'key');
      const { io, calls } = recordingSyncIo('fsync');
      expect(() => createFileDurablySync(path, 'secret', { io })).toThrow(DurableWriteError);
      expect(calls).toContain('unlink');
      expect(existsSync(path)).toBe(false);
      expect(createFileDurablySync(path, 'secret')).toBe(true);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

describe('writeFileDurably (asynchronous)', () => {
  it('fsyncs the file before the rename and the directory after it', async () => {
    const dir = scratch();
    try {
      const calls: string[] = [];
      const real = makeIo();
      const io = makeIo({
        fsync: (fd) => (calls.push('fsync'), real.fsync(fd)),
        rename: (a, b) => (calls.push('rename'), real.rename(a, b)),
      });
      await writeFileDurably(io, dir, 'sidecar', new Uint8Array([1, 2, 3]));
      expect(calls).toEqual(['fsync', 'rename', 'fsync']);
      expect([...readFileSync(join(dir, 'sidecar'))]).toEqual([1, 2, 3]);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('a failed directory fsync is reported as a sync failure', async () => {
    const dir = scratch();
    try {
      let fsyncs = 0;
      const real = makeIo();
      const io = makeIo({
        fsync: (fd) => (++fsyncs === 2 ? Promise.reject(Object.assign(new Error('injected'), { code: 'EIO' })) : real.fsync(fd)),
      });
      const err = await writeFileDurably(io, dir, 'sidecar', new Uint8Array([1])).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DurableWriteError);
      expect((err as DurableWriteError).step).toBe('fsync-dir');
      expect((err as DurableWriteError).syncFailed).toBe(true);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});
