/** @module Starts and stops a real local `litecoind -regtest` node (the demo's and the tests' Bitcoin Core) and makes sure none outlives this process. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { BitcoinRpc, type BitcoinRpcOptions } from './rpc.js';
import { RpcUnavailableError, RpcWarmupError } from './rpc-errors.js';
import { sleep } from '../net/sleep.js';

export interface RegtestNodeOptions {
  /** The daemon: a name looked up on PATH or a path. Default `litecoind` (DESIGN §4: Debian has no bitcoind). */
  binary?: string;
  /** Data directory to use and keep; by default a fresh temporary one, deleted by {@link RegtestNode.close}. */
  datadir?: string;
  /** Wallet to create (first start) or load. Default `calendar`. */
  wallet?: string;
  /** Blocks mined on first start; 101 makes the first coinbase (50 coins) spendable. */
  initialBlocks?: number;
  /** Extra `-name=value` daemon arguments. */
  extraArgs?: string[];
  /** How long to wait for RPC to come up. Default 30 s. */
  readyTimeoutMs?: number;
}

/** What the readiness wait saw: a -28 warm-up answer and refused connections are both normal. */
export interface ReadyStats {
  ms: number;
  attempts: number;
  warmup: number;
  unavailable: number;
}

/** The daemon binary is not installed. */
export class LitecoindNotInstalledError extends Error {
  readonly code = 'litecoind-missing';
  constructor(binary: string) {
    super(`${binary} not found; install it with apt-get install litecoind`);
    this.name = 'LitecoindNotInstalledError';
  }
}

/** The daemon exited during start-up or never answered. */
export class RegtestNodeError extends Error {
  readonly code = 'regtest-node';
  constructor(message: string) {
    super(message);
    this.name = 'RegtestNodeError';
  }
}

/** Every live daemon started here, killed synchronously if this process exits first. */
const live = new Map<ChildProcess, { tempDir: string | undefined }>();
let reaperInstalled = false;

/** SIGKILLs every daemon still running and deletes their temporary data directories. Runs on process exit. */
export function killAllRegtestNodesSync(): void {
  for (const [child, { tempDir }] of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true });
  }
  live.clear();
}

function installReaper(): void {
  if (reaperInstalled) return;
  reaperInstalled = true;
  process.on('exit', killAllRegtestNodesSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      // Only when nobody else handles the signal: then Node would die without running 'exit' handlers.
      if (process.listenerCount(signal) > 1) return;
      killAllRegtestNodesSync();
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

function findBinary(binary: string): string {
  const candidates = binary.includes('/') ? [binary] : (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, binary));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not this one
    }
  }
  throw new LitecoindNotInstalledError(binary);
}

/** Two distinct free loopback ports: bind port 0 twice at once, read the ports, release them. */
async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = createServer();
      servers.push(s);
      await new Promise<void>((resolve, reject) => s.once('error', reject).listen(0, '127.0.0.1', resolve));
    }
    return servers.map((s) => {
      const addr = s.address();
      if (addr === null || typeof addr === 'string') throw new RegtestNodeError('could not read a free port');
      return addr.port;
    });
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Resolves true when the child has exited, false when `ms` passed first. */
function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.removeListener('exit', onExit);
      resolve(false);
    }, ms);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}


/**
 * A regtest node on free loopback ports, started with the flags anchoring needs:
 * `-mempoolreplacement=1` (Litecoin Core's default is 0, so RBF would silently fail),
 * `-fallbackfee` (no fee estimates on regtest), `-txindex=1`, `-listen=0`. RPC accepts both the
 * generated user/password (`-rpcauth`) and the cookie file, so either kind of client can be tested.
 * Methods are not safe to call concurrently with each other (one owner drives the node's lifecycle).
 */
export class RegtestNode {
  readonly binary: string;
  readonly datadir: string;
  readonly walletName: string;
  readonly rpcPort: number;
  readonly p2pPort: number;
  readonly rpcUser = 'ots';
  readonly rpcPassword: string;
  /** Wallet-bound client with user/password authentication. */
  readonly rpc: BitcoinRpc;
  /** An address of the wallet that receives mined coins. */
  miningAddress = '';
  /** What the last readiness wait observed. */
  lastReady: ReadyStats = { ms: 0, attempts: 0, warmup: 0, unavailable: 0 };
  readonly #tempDir: string | undefined;
  readonly #extraArgs: string[];
  readonly #readyTimeoutMs: number;
  #child: ChildProcess | undefined;
  #stderr = '';

  private constructor(options: RegtestNodeOptions, binary: string, ports: number[]) {
    this.binary = binary;
    this.#tempDir = options.datadir === undefined ? mkdtempSync(join(tmpdir(), 'ots-regtest-')) : undefined;
    this.datadir = options.datadir ?? (this.#tempDir as string);
    this.walletName = options.wallet ?? 'calendar';
    [this.rpcPort = 0, this.p2pPort = 0] = ports;
    this.rpcPassword = randomBytes(16).toString('hex');
    this.#extraArgs = options.extraArgs ?? [];
    this.#readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
    this.rpc = this.client();
  }

  /** Starts a node, creates its wallet and mines `initialBlocks` (default 101) on a fresh chain. */
  static async start(options: RegtestNodeOptions = {}): Promise<RegtestNode> {
    const binary = findBinary(options.binary ?? 'litecoind');
    // The free ports are released before the daemon binds them, so another process can take one first;
    // the daemon then exits at once ("Unable to bind", "Unable to start HTTP server"): try new ports.
    for (let attempt = 1; ; attempt++) {
      try {
        return await RegtestNode.#startOnce(options, binary);
      } catch (err) {
        const portTaken = err instanceof RegtestNodeError && /Unable to (bind|start HTTP server)/i.test(err.message);
        if (!portTaken || attempt >= 3) throw err;
      }
    }
  }

  static async #startOnce(options: RegtestNodeOptions, binary: string): Promise<RegtestNode> {
    const node = new RegtestNode(options, binary, await freePorts(2));
    try {
      await node.#launch();
      const wallets = await node.rpc.listWallets();
      if (!wallets.includes(node.walletName)) {
        if (node.#walletExists()) await node.rpc.loadWallet(node.walletName);
        else await node.rpc.createWallet(node.walletName);
      }
      node.miningAddress = await node.rpc.getNewAddress('mining');
      const height = await node.rpc.getBlockCount();
      const initial = options.initialBlocks ?? 101;
      if (height < initial) await node.mine(initial - height);
      return node;
    } catch (err) {
      await node.close();
      throw err;
    }
  }

  /** `http://127.0.0.1:<port>`, without credentials. */
  get rpcUrl(): string {
    return `http://127.0.0.1:${this.rpcPort}`;
  }

  /** The RPC URL carrying the generated user and password. */
  get rpcUrlWithCredentials(): string {
    return `http://${this.rpcUser}:${this.rpcPassword}@127.0.0.1:${this.rpcPort}`;
  }

  get cookieFile(): string {
    return join(this.datadir, 'regtest', '.cookie');
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get running(): boolean {
    return this.#child !== undefined && !exited(this.#child);
  }

  /** A new client for this node; by default wallet-bound with user/password auth. */
  client(options: Partial<BitcoinRpcOptions> = {}): BitcoinRpc {
    return new BitcoinRpc({ url: this.rpcUrlWithCredentials, wallet: this.walletName, ...options });
  }

  /** Mines `n` blocks to the wallet; returns their hashes. */
  mine(n = 1): Promise<string[]> {
    return this.rpc.generateToAddress(n, this.miningAddress);
  }

  /** Forces a chainstate flush (`gettxoutsetinfo`) so a crash cannot lose the blocks mined so far. */
  async flush(): Promise<void> {
    await this.rpc.getTxOutSetInfo();
  }

  /** Graceful shutdown (RPC `stop`), SIGKILL if not gone after `timeoutMs`. The data stays; `restart()` works. */
  async stop(timeoutMs = 15_000): Promise<void> {
    const child = this.#child;
    if (child === undefined || exited(child)) return;
    try {
      await this.client({ retries: 0, timeoutMs: Math.min(timeoutMs, 5_000) }).stop();
    } catch {
      // Already going away, or wedged: the wait and SIGKILL below handle both.
    }
    if (!(await waitExit(child, timeoutMs))) {
      child.kill('SIGKILL');
      await waitExit(child, 5_000);
    }
    live.delete(child);
  }

  /** SIGKILL, like a crash: unflushed blocks may be lost (call {@link flush} first). */
  async kill(): Promise<void> {
    const child = this.#child;
    if (child === undefined || exited(child)) return;
    child.kill('SIGKILL');
    await waitExit(child, 10_000);
    live.delete(child);
  }

  /** Stops the node if it runs, then starts it again on the same data directory and ports, wallet loaded. */
  async restart(): Promise<void> {
    await this.stop();
    await this.#launch();
    const wallets = await this.rpc.listWallets();
    if (!wallets.includes(this.walletName)) await this.rpc.loadWallet(this.walletName);
  }

  /** Stops the node and deletes its data directory if it was a temporary one. */
  async close(): Promise<void> {
    await this.stop();
    if (this.#child !== undefined) live.delete(this.#child);
    if (this.#tempDir !== undefined) rmSync(this.#tempDir, { recursive: true, force: true });
  }

  #walletExists(): boolean {
    return existsSync(join(this.datadir, 'regtest', 'wallets', this.walletName));
  }

  #args(): string[] {
    const salt = randomBytes(16).toString('hex');
    // rpcauth = user:salt$HMAC-SHA256(key = salt, message = password), as share/rpcauth/rpcauth.py makes it.
    const hmac = createHmac('sha256', salt).update(this.rpcPassword).digest('hex');
    const args = [
      '-regtest',
      `-datadir=${this.datadir}`,
      `-rpcport=${this.rpcPort}`,
      `-port=${this.p2pPort}`,
      '-rpcbind=127.0.0.1',
      '-rpcallowip=127.0.0.1',
      `-rpcauth=${this.rpcUser}:${salt}$${hmac}`,
      '-server=1',
      '-listen=0',
      '-listenonion=0',
      '-discover=0',
      '-dnsseed=0',
      '-mempoolreplacement=1',
      '-fallbackfee=0.0001',
      '-txindex=1',
      '-printtoconsole=0',
    ];
    if (this.#walletExists()) args.push(`-wallet=${this.walletName}`);
    return [...args, ...this.#extraArgs];
  }

  async #launch(): Promise<void> {
    installReaper();
    this.#stderr = '';
    const child = spawn(this.binary, this.#args(), { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#child = child;
    live.set(child, { tempDir: this.#tempDir });
    child.stderr?.on('data', (d: Buffer) => {
      if (this.#stderr.length < 4096) this.#stderr += d.toString('utf8');
    });
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    try {
      await this.#waitReady(child, spawnError);
    } catch (err) {
      child.kill('SIGKILL');
      await waitExit(child, 5_000);
      live.delete(child);
      throw err;
    }
  }

  /** Polls until RPC answers; -28 (warming up) and refused connections are expected on the way. */
  async #waitReady(child: ChildProcess, spawnError: Promise<Error>): Promise<void> {
    const probe = new BitcoinRpc({ url: this.rpcUrlWithCredentials, retries: 0, timeoutMs: 2_000 });
    const started = performance.now();
    const stats: ReadyStats = { ms: 0, attempts: 0, warmup: 0, unavailable: 0 };
    let failure: Error | undefined;
    void spawnError.then((e) => (failure = e));
    while (performance.now() - started < this.#readyTimeoutMs) {
      if (failure !== undefined) throw new RegtestNodeError(`could not run ${this.binary}: ${failure.message}`);
      if (exited(child)) throw new RegtestNodeError(`${this.binary} exited during start-up (code ${child.exitCode ?? child.signalCode}): ${this.#stderr.trim()}`);
      stats.attempts++;
      try {
        await probe.getBlockchainInfo();
        stats.ms = performance.now() - started;
        this.lastReady = stats;
        return;
      } catch (err) {
        if (err instanceof RpcWarmupError) stats.warmup++;
        else if (err instanceof RpcUnavailableError) stats.unavailable++;
        else throw err;
      }
      await sleep(20);
    }
    throw new RegtestNodeError(`${this.binary} did not answer RPC within ${this.#readyTimeoutMs} ms`);
  }
}
