/** @module Bytes a directory's files take on disk, cached for a while (for metrics; never on a request's critical path). */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function directoryBytes(dir: string, cacheMs: number): () => number | undefined {
  let at = 0;
  let value: number | undefined;
  return () => {
    const now = Date.now();
    if (now - at < cacheMs) return value;
    at = now;
    try {
      value = readdirSync(dir).reduce((sum, name) => {
        const st = statSync(join(dir, name));
        return sum + (st.isFile() ? st.blocks * 512 : 0);
      }, 0);
    } catch {
      value = undefined;
    }
    return value;
  };
}
