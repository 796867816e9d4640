/**
 * Taking over a reference calendar, end to end with real parts: an independent writer (python-opentimestamps
 * and plyvel) lays out an otsd directory from a history on a real litecoind -regtest node; `import-otsd
 * --rpc-url` imports it; the calendar then answers every commitment byte for byte as python-opentimestamps
 * reads it from the LevelDB, serves the same backup chunks, lets the real clients upgrade and verify against
 * the node, anchors what was pending (and what a deep reorg undid) on that node, and commits new digests under
 * the reference's key and URI.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { hash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { useRegtestNode } from '../fixtures/litecoind.js';
import { freePort, startCalendarProcess, tempDir, type CalendarProcess } from '../fixtures/calendar-process.js';
import { PYTHON } from '../fixtures/python/oracle.js';
import { Timestamp } from '../../src/ots/index.js';
import { cli, python, pythonAnswers, pythonChunks, type History } from './otsd-dir.js';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const JS_CLI = join(require.resolve('opentimestamps/package.json'), '..', 'ots-cli.js');
const PY_DRIVER = fileURLToPath(new URL('../fixtures/ots_client_driver.py', import.meta.url));

const regtest = useRegtestNode();
let port: number;
let uri: string;
let reference: string;
let files: string;
let dataDir: string;
let history: History;
let imported: Awaited<ReturnType<typeof cli>>;
let cal: CalendarProcess;
let env: NodeJS.ProcessEnv;

function anchoringArgs(): string[] {
  const n = regtest.node;
  return ['--chain', 'regtest', '--rpc-url', n.rpcUrlWithCredentials, '--rpc-wallet', n.walletName, '--confirmations', '2', '--min-tx-interval', '0', '--poll-interval-ms', '200'];
}

/** The reference's per-second key and MAC (reference-server §2), written here from its description. */
function referenceMac(key: Buffer, msg36: Buffer): Buffer {
  const idx = msg36.readUInt32BE(0);
  let k = key;
  for (let b = 31; b >= 0; b--) k = hash('sha256', Buffer.concat([k, Buffer.from([(idx >>> b) & 1 ? 0xff : 0x00])]), 'buffer');
  return hash('sha256', Buffer.concat([msg36, k]), 'buffer').subarray(0, 8);
}

async function get(hex: string): Promise<{ status: number; body: Buffer }> {
  const r = await fetch(`${cal.url}/timestamp/${hex}`);
  return { status: r.status, body: Buffer.from(await r.arrayBuffer()) };
}

beforeAll(async () => {
  port = await freePort();
  uri = `http://127.0.0.1:${port}`;
  const work = tempDir('otsc-takeover-');
  reference = join(work, 'otsd-calendar');
  files = join(work, 'files');
  dataDir = join(work, 'data');
  const n = regtest.node;
  history = await python<History>(['history', reference, uri, n.rpcUrlWithCredentials, n.walletName, files]);
  imported = await cli(['import-otsd', '--from', reference, '--data-dir', dataDir, '--chain', 'regtest', '--rpc-url', n.rpcUrlWithCredentials]);
  mkdirSync(join(work, '.bitcoin'));
  writeFileSync(join(work, '.bitcoin', 'bitcoin.conf'), `rpcuser=${n.rpcUser}\nrpcpassword=${n.rpcPassword}\nrpcconnect=127.0.0.1\nrpcport=${n.rpcPort}\n`);
  env = { ...process.env, HOME: work, NO_PROXY: '127.0.0.1,localhost', http_proxy: '', HTTP_PROXY: '', NODE_NO_WARNINGS: '1' };
}, 120_000);

afterAll(async () => {
  if (cal) expect((await cal.stop()).code).toBe(0);
});

describe('import-otsd of a reference calendar', () => {
  it('imports every entry, one anchor a transaction, and reports the attestation a deep reorg undid', async () => {
    expect(imported.code, imported.stderr).toBe(0);
    const done = imported.lines.find((l) => l['msg'] === 'import-otsd: done');
    expect(done).toMatchObject({ commitments: 2017, legacy: 5, anchors: history.groups.length - 1, pending: 17 });
    // the one pass over the database vouches for every path the reference wrote: none is read node by node
    expect(imported.lines.find((l) => l['msg'] === 'the reference database is read')).toMatchObject({ commitmentKeys: 2010, readByKey: 0 });
    const stale = history.groups.find((g) => g.stale);
    const warned = imported.lines.find((l) => String(l['msg']).startsWith('an attestation in the reference database is no longer true'));
    expect(warned).toMatchObject({ tip: stale?.tip, firstCommitment: 2000, commitments: 10, heights: [stale?.height] });
    const marker = JSON.parse(readFileSync(join(dataDir, 'import-otsd.json'), 'utf8')) as { state: string; stale: Array<{ tip: string }> };
    expect(marker.state).toBe('complete');
    expect(marker.stale.map((s) => s.tip)).toEqual([stale?.tip]);
    // the key and the URI are the reference's
    expect(readFileSync(join(dataDir, 'hmac-key'))).toEqual(readFileSync(join(reference, 'hmac-key')));
    expect(readFileSync(join(dataDir, 'uri'), 'utf8').trim()).toBe(uri);
    const fsck = await cli(['fsck', '--data-dir', dataDir]);
    expect(fsck.code, fsck.stdout + fsck.stderr).toBe(0);
    expect(fsck.lines.at(-1)).toMatchObject({ msg: 'fsck: all good', commitments: 2017 });
    // a second run checks what is there and writes nothing
    const again = await cli(['import-otsd', '--from', reference, '--data-dir', dataDir, '--chain', 'regtest', '--rpc-url', regtest.node.rpcUrlWithCredentials]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.lines.find((l) => String(l['msg']).startsWith('import-otsd:'))).toMatchObject({ msg: 'import-otsd: this import was complete already; nothing written', recordsAppended: 0 });
  });

  it('serves every commitment byte for byte as python-opentimestamps reads it from the LevelDB, and the same backup chunks', async () => {
    cal = await startCalendarProcess({ dataDir, port, tickMs: 200, args: anchoringArgs().concat(['--uri', uri]) });
    const answers = await pythonAnswers(reference);
    expect(answers.map((a) => a.commitment)).toEqual(history.commitments);
    // legacy entries keep their 36 bytes
    expect(answers.slice(0, 5).every((a) => a.commitment.length === 72)).toBe(true);
    const stale = new Set(history.stale);
    let complete = 0;
    for (const [n, a] of answers.entries()) {
      const got = await get(a.commitment);
      if (a.proof === null || stale.has(n)) {
        expect(got.status, `commitment ${n}`).toBe(404);
        expect(got.body.toString()).toMatch(/^(Pending confirmation in Bitcoin blockchain|Timestamped by transaction)/);
        continue;
      }
      expect(got.status, `commitment ${n}`).toBe(200);
      expect(got.body.toString('hex'), `commitment ${n}`).toBe(a.proof);
      complete++;
    }
    expect(complete).toBe(2000);
    const chunks = await pythonChunks(reference);
    expect(chunks.map((c) => c.chunk)).toEqual([0, 1]);
    for (const c of chunks) {
      // one op or one attestation per node: the reference's own order is the canonical one
      expect(c.stored).toBe(c.canonical);
      const r = await fetch(`${cal.url}/experimental/backup/${c.chunk}`);
      expect(r.status).toBe(200);
      expect(Buffer.from(await r.arrayBuffer()).toString('hex')).toBe(c.canonical);
    }
    expect((await fetch(`${cal.url}/experimental/backup/2`)).status).toBe(404);
  });

  it('lets the real clients upgrade and verify imported proofs against the node, legacy ones included', async () => {
    const anchored = history.files.filter((f) => !history.pending.includes(f.commitment) && !history.stale.includes(f.commitment));
    expect(anchored.map((f) => f.commitment)).toEqual(expect.arrayContaining([2, 700, 1512, 1525, 1550]));
    for (const [k, f] of anchored.entries()) {
      const ots = `${f.file}.ots`;
      if (k % 2 === 0) {
        const up = await run(process.execPath, [JS_CLI, 'upgrade', '-c', uri, ots], { env });
        expect(up.stdout, f.file).toContain('Success! Timestamp complete');
      } else {
        const up = await run(PYTHON, [PY_DRIVER, 'upgrade', uri, ots], { env });
        expect(up.stderr, f.file).toContain('Success! Timestamp complete');
      }
      const jsVerify = await run(process.execPath, [JS_CLI, 'verify', ots], { env });
      expect(jsVerify.stdout, f.file).toMatch(/Success! Bitcoin block \d+ attests existence as of/);
      const pyVerify = await run(PYTHON, [PY_DRIVER, 'verify', regtest.node.rpcUrlWithCredentials, ots], { env });
      expect(pyVerify.stderr, f.file).toMatch(/Success! Bitcoin block \d+ attests existence as of/);
    }
  });

  it('anchors the pending commitments, and those of the undone attestation, on the node; the clients verify them', async () => {
    const waiting = [...history.pending, ...history.stale];
    for (let blocks = 0; ; blocks++) {
      const statuses = await Promise.all(waiting.map(async (n) => (await get(history.commitments[n] as string)).status));
      if (statuses.every((s) => s === 200)) break;
      expect(blocks).toBeLessThan(15);
      await regtest.node.mine(1);
      await new Promise((res) => setTimeout(res, 700));
    }
    for (const f of history.files.filter((x) => waiting.includes(x.commitment))) {
      const ots = `${f.file}.ots`;
      const up = await run(process.execPath, [JS_CLI, 'upgrade', '-c', uri, ots], { env });
      expect(up.stdout, f.file).toContain('Success! Timestamp complete');
      const pyVerify = await run(PYTHON, [PY_DRIVER, 'verify', regtest.node.rpcUrlWithCredentials, ots], { env });
      expect(pyVerify.stderr, f.file).toMatch(/Success! Bitcoin block \d+ attests existence as of/);
      const jsVerify = await run(process.execPath, [JS_CLI, 'verify', ots], { env });
      expect(jsVerify.stdout, f.file).toMatch(/Success! Bitcoin block \d+ attests existence as of/);
    }
    // the re-anchored ones no longer name the block the reorg removed
    const stale = history.groups.find((g) => g.stale);
    const proof = await get(history.commitments[2000] as string);
    const heights = Timestamp.fromBytes(proof.body, Buffer.from(history.commitments[2000] as string, 'hex')).allAttestations().map((a) => a.attestation);
    expect(heights).not.toContainEqual({ kind: 'bitcoin', height: stale?.height });
  });

  it('commits new digests under the reference key and URI, after the imported commit numbers', async () => {
    const digest = hash('sha256', 'a digest after the takeover', 'buffer');
    const res = await fetch(`${cal.url}/digest`, { method: 'POST', body: digest });
    expect(res.status).toBe(200);
    const stamp = Timestamp.fromBytes(new Uint8Array(await res.arrayBuffer()), digest);
    const [p] = stamp.allAttestations();
    expect(p?.attestation).toEqual({ kind: 'pending', uri });
    const c = Buffer.from(p?.msg ?? []);
    expect(c.length).toBe(44);
    expect(c.subarray(36)).toEqual(referenceMac(readFileSync(join(reference, 'hmac-key')), c.subarray(0, 36)));
    const status = (await (await fetch(`${cal.url}/status`)).json()) as { commitments: number };
    expect(status.commitments).toBe(2018);
    expect(existsSync(join(reference, 'journal'))).toBe(true);
  });
});
