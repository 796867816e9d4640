/**
 * The whole lifecycle with the real clients and a real node (reference/conformance.md §3): the JavaScript CLI
 * and python-opentimestamps stamp against the calendar process, blocks are mined on litecoind -regtest, `upgrade`
 * gets the complete proof, and `verify` succeeds against the same node. A litecoin-regtest calendar gives
 * Litecoin attestations that our verifier accepts.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { useRegtestNode } from '../fixtures/litecoind.js';
import { startCalendarProcess, tempDir, type CalendarProcess } from '../fixtures/calendar-process.js';
import { DetachedTimestampFile, Timestamp, verifyBlockHeaderAttestation } from '../../src/ots/index.js';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const JS_CLI = join(require.resolve('opentimestamps/package.json'), '..', 'ots-cli.js');
const PY_DRIVER = fileURLToPath(new URL('../fixtures/ots_client_driver.py', import.meta.url));

const regtest = useRegtestNode();
let cal: CalendarProcess;
let work: string;
let env: NodeJS.ProcessEnv;

function anchoringArgs(chain: string): string[] {
  const n = regtest.node;
  return ['--chain', chain, '--rpc-url', n.rpcUrlWithCredentials, '--rpc-wallet', n.walletName, '--confirmations', '2', '--min-tx-interval', '0', '--poll-interval-ms', '200'];
}

async function waitForStatus(url: string, hex: string, want: number, timeoutMs = 20_000): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await fetch(`${url}/timestamp/${hex}`);
    if (r.status === want) return r;
    await r.arrayBuffer();
    if (Date.now() > deadline) throw new Error(`commitment ${hex} did not reach ${want}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

async function waitForTip(url: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while ((await fetch(`${url}/tip`)).status !== 200) {
    if (Date.now() > deadline) throw new Error('no timestamp transaction was sent');
    await new Promise((res) => setTimeout(res, 200));
  }
}

function commitmentsOf(file: string): string[] {
  const d = DetachedTimestampFile.fromBytes(readFileSync(file));
  return d.timestamp.allAttestations().flatMap(({ msg, attestation }) => (attestation.kind === 'pending' ? [Buffer.from(msg).toString('hex')] : []));
}

describe('stamp → mine → upgrade → verify with the real clients (chain regtest)', () => {
  beforeAll(async () => {
    cal = await startCalendarProcess({ tickMs: 200, args: anchoringArgs('regtest') });
    work = tempDir('otsc-e2e-');
    const n = regtest.node;
    // the JavaScript CLI reads the node's RPC settings from $HOME/.bitcoin/bitcoin.conf
    mkdirSync(join(work, '.bitcoin'));
    writeFileSync(join(work, '.bitcoin', 'bitcoin.conf'), `rpcuser=${n.rpcUser}\nrpcpassword=${n.rpcPassword}\nrpcconnect=127.0.0.1\nrpcport=${n.rpcPort}\n`);
    env = { ...process.env, HOME: work, NO_PROXY: '127.0.0.1,localhost', http_proxy: '', HTTP_PROXY: '', NODE_NO_WARNINGS: '1' };
  });
  afterAll(async () => {
    expect((await cal.stop()).code).toBe(0);
  });

  it('both clients get complete proofs that verify against the node', async () => {
    const js = join(work, 'js.txt');
    const py = join(work, 'py.txt');
    writeFileSync(js, 'stamped by the JavaScript client\n');
    writeFileSync(py, 'stamped by python-opentimestamps\n');
    await run(process.execPath, [JS_CLI, 'stamp', '-c', cal.url, js], { env });
    await run('/usr/bin/python3', [PY_DRIVER, 'stamp', cal.url, py], { env });
    const commitments = [...commitmentsOf(`${js}.ots`), ...commitmentsOf(`${py}.ots`)];
    expect(commitments).toHaveLength(2);

    await waitForTip(cal.url);
    const pending = await fetch(`${cal.url}/timestamp/${commitments[0]}`);
    expect(pending.status).toBe(404);
    expect(await pending.text()).toMatch(/^Pending confirmation in Bitcoin blockchain/);

    // mine a block at a time until both are complete; on the way, the 404 reason says where each one is
    const reasons = new Set<string>();
    for (let blocks = 0; ; blocks++) {
      const statuses = await Promise.all(commitments.map(async (c) => {
        const r = await fetch(`${cal.url}/timestamp/${c}`);
        if (r.status === 404) reasons.add(await r.text());
        else await r.arrayBuffer();
        return r.status;
      }));
      if (statuses.every((s) => s === 200)) break;
      expect(blocks).toBeLessThan(12);
      await regtest.node.mine(1);
      await new Promise((res) => setTimeout(res, 600));
    }
    const waiting = [...reasons].filter((r) => r.startsWith('Timestamped by transaction'));
    expect(waiting.length).toBeGreaterThan(0);
    for (const reason of reasons) {
      expect(reason.length).toBeLessThanOrEqual(160);
      expect(reason).toMatch(/^[A-Za-z0-9#-.,; ]+$/);
    }

    const jsUp = await run(process.execPath, [JS_CLI, 'upgrade', '-c', cal.url, `${js}.ots`], { env });
    expect(jsUp.stdout).toContain('Success! Timestamp complete');
    const pyUp = await run('/usr/bin/python3', [PY_DRIVER, 'upgrade', cal.url, `${py}.ots`], { env });
    expect(pyUp.stderr).toContain('Success! Timestamp complete');
    expect(existsSync(`${py}.ots.bak`)).toBe(true);

    // verify: each client against the same node, then across (JS verifies python's file and vice versa)
    for (const f of [js, py]) {
      const jsVerify = await run(process.execPath, [JS_CLI, 'verify', `${f}.ots`], { env });
      expect(jsVerify.stdout).toMatch(/Success! Bitcoin block \d+ attests existence as of/);
      const pyVerify = await run('/usr/bin/python3', [PY_DRIVER, 'verify', regtest.node.rpcUrlWithCredentials, `${f}.ots`], { env });
      expect(pyVerify.stderr).toMatch(/Success! Bitcoin block \d+ attests existence as of/);
    }
  });
});

describe('chain litecoin-regtest', () => {
  it('gives Litecoin attestations that our verifier accepts', async () => {
    const ltc = await startCalendarProcess({ tickMs: 200, args: anchoringArgs('litecoin-regtest') });
    try {
      const digest = new Uint8Array(32).fill(7);
      const res = await fetch(`${ltc.url}/digest`, { method: 'POST', body: digest });
      const stamp = Timestamp.fromBytes(new Uint8Array(await res.arrayBuffer()), digest);
      const [p] = stamp.allAttestations();
      const hex = Buffer.from(p?.msg ?? []).toString('hex');
      await waitForTip(ltc.url);
      await regtest.node.mine(2);
      const done = await waitForStatus(ltc.url, hex, 200);
      const proof = Timestamp.fromBytes(new Uint8Array(await done.arrayBuffer()), p?.msg ?? new Uint8Array());
      const atts = proof.allAttestations();
      expect(atts).toHaveLength(1);
      const [a] = atts;
      if (a?.attestation.kind !== 'litecoin') throw new Error(`expected a Litecoin attestation, got ${a?.attestation.kind}`);
      const hash = await regtest.node.rpc.getBlockHash(a.attestation.height);
      const header = await regtest.node.rpc.getBlockHeaderRaw(hash as string);
      const time = verifyBlockHeaderAttestation(a.msg, header);
      expect(Math.abs(time - Date.now() / 1000)).toBeLessThan(3600);
    } finally {
      expect((await ltc.stop()).code).toBe(0);
    }
  });
});
