/** @module `ots-calendar demo`: a whole local lifecycle in under a minute — regtest node, calendar, stamp, mine, upgrade, verify, print — then cleans up. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { RegtestNode } from '../bitcoin/index.js';
import { DetachedTimestampFile, OP_SHA256, Timestamp, opAppend, sha256, verifyBlockHeaderAttestation } from '../ots/index.js';
import { CalendarClient } from '../net/calendar-client.js';
import { calendarSettings, startCalendar } from './calendar-command.js';
import type { RunningServer } from './serve-role.js';
import { createLogger } from './log.js';
import { formatInfo } from './info.js';
import { resolveConfig } from './config.js';
import { OPTIONS } from './options.js';

type Say = (line: string) => void;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`demo: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function runDemo(say: Say = (l) => void process.stdout.write(l + '\n')): Promise<number> {
  const started = Date.now();
  const work = mkdtempSync(join(tmpdir(), 'ots-calendar-demo-'));
  let node: RegtestNode | undefined;
  let calendar: RunningServer | undefined;
  try {
    say('1. Starting a local Bitcoin Core regtest node (litecoind -regtest) and mining 101 blocks...');
    node = await RegtestNode.start();
    const confirmations = 2;
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    say(`2. Starting a calendar at ${url} that anchors in that node (${confirmations} confirmations)...`);
    const { config } = resolveConfig(
      OPTIONS,
      'calendar',
      [
        ['--data-dir', join(work, 'calendar')],
        ['--port', String(port)],
        ['--uri', url],
        ['--tick-ms', '200'],
        ['--chain', 'regtest'],
        ['--rpc-url', node.rpcUrlWithCredentials],
        ['--rpc-wallet', node.walletName],
        ['--confirmations', String(confirmations)],
        ['--min-tx-interval', '0'],
        ['--poll-interval-ms', '250'],
      ].flat(),
      { env: {} },
    );
    calendar = await startCalendar(calendarSettings(config).settings, createLogger({ level: 'error', format: 'text' }));

    const file = join(work, 'hello.txt');
    const content = `Hello from the ots-calendar demo, ${new Date().toISOString()}\n`;
    writeFileSync(file, content);
    say(`3. Stamping ${file}: sha256, a private nonce, then POST /digest...`);
    const detached = new DetachedTimestampFile(OP_SHA256, new Timestamp(sha256(Buffer.from(content))));
    const tip = detached.timestamp.add(opAppend(randomBytes(16))).add(OP_SHA256);
    const client = new CalendarClient(url, { userAgent: 'ots-calendar-demo' });
    tip.merge((await client.submit(tip.msg)).timestamp);
    const [pending] = tip.allAttestations();
    if (!pending) throw new Error('demo: the calendar returned no attestation');
    writeFileSync(`${file}.ots`, detached.toBytes());
    const first = await client.getTimestamp(pending.msg);
    say(`   pending proof written (${detached.toBytes().length} bytes); the calendar says: ${first.kind}${first.kind === 'pending' ? ` (${first.reason})` : ''}`);

    say('4. Waiting for the calendar to put its merkle tip into a transaction, then mining...');
    const txTip = await until('the timestamp transaction', 20_000, async () => {
      const t = await client.tip();
      return t === undefined ? undefined : Buffer.from(t).toString('hex');
    });
    say(`   tip ${txTip} is in the mempool; mining ${confirmations} blocks`);
    await node.mine(confirmations);

    say('5. Upgrading: GET /timestamp until the proof is complete...');
    const proof = await until('the complete proof', 20_000, async () => {
      const answer = await client.getTimestamp(pending.msg);
      return answer.kind === 'complete' ? answer.timestamp : undefined;
    });
    const at = findNode(detached.timestamp, pending.msg);
    if (!at) throw new Error('demo: the commitment is not in the proof');
    at.merge(proof);
    writeFileSync(`${file}.ots`, detached.toBytes());

    say('6. Verifying against the node: the attested merkle root must be the block header\'s...');
    let verified = false;
    for (const { msg, attestation } of detached.timestamp.allAttestations()) {
      if (attestation.kind !== 'bitcoin') continue;
      const hash = await node.rpc.getBlockHash(attestation.height);
      if (!hash) throw new Error(`demo: block ${attestation.height} not found`);
      const time = verifyBlockHeaderAttestation(msg, await node.rpc.getBlockHeaderRaw(hash));
      say(`   Success! Bitcoin block ${attestation.height} attests existence as of ${new Date(time * 1000).toISOString()}`);
      verified = true;
    }
    if (!verified) throw new Error('demo: no Bitcoin attestation in the upgraded proof');

    say(`7. The proof (${file}.ots), as \`ots info\` prints it:\n`);
    say(formatInfo(detached));
    say(`Done in ${((Date.now() - started) / 1000).toFixed(1)} s. Cleaning up.`);
    return 0;
  } finally {
    await calendar?.stop().catch(() => undefined);
    await node?.close().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
}

/** The node of the tree whose message is `msg` (where the calendar's answer is merged). */
function findNode(t: Timestamp, msg: Uint8Array): Timestamp | undefined {
  if (Buffer.compare(t.msg, msg) === 0) return t;
  for (const { child } of t.ops.values()) {
    const found = findNode(child, msg);
    if (found) return found;
  }
  return undefined;
}
