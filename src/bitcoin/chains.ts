/** @module The chain table (ports, cookie directory, attestation kind, genesis) and the startup check that the node is on the configured chain (DESIGN §4). */
import { join } from 'node:path';
import type { BitcoinRpc } from './rpc.js';

export type ChainName = 'bitcoin' | 'testnet' | 'testnet4' | 'signet' | 'regtest' | 'litecoin' | 'litecoin-regtest';

/** Which OpenTimestamps attestation a block on this chain gets. */
export type AttestationKind = 'bitcoin' | 'litecoin';

export interface Chain {
  name: ChainName;
  /** The chain as people call it, for pages and messages. */
  label: string;
  /** Core's default RPC port for the network (chainparamsbase.cpp). */
  rpcPort: number;
  /** Sub-directory of the data directory that holds `.cookie`; '' for mainnet. */
  cookieDir: string;
  attestation: AttestationKind;
  /** The `chain` field `getblockchaininfo` reports. */
  coreChain: string;
  /**
   * Block 0's hash (display hex) for a public chain. Null for regtest: every regtest node mines its own
   * chain, and a local sandbox is accepted as is.
   */
  genesis: string | null;
}

/**
 * The only place where Bitcoin and Litecoin differ in this code base: Litecoin Core is a Bitcoin Core
 * 0.21 derivative with the same RPC, transaction and header formats.
 */
export const CHAINS: Readonly<Record<ChainName, Readonly<Chain>>> = Object.freeze({
  bitcoin: { name: 'bitcoin', label: 'Bitcoin', rpcPort: 8332, cookieDir: '', attestation: 'bitcoin', coreChain: 'main', genesis: '000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f' },
  testnet: { name: 'testnet', label: 'Bitcoin testnet', rpcPort: 18332, cookieDir: 'testnet3', attestation: 'bitcoin', coreChain: 'test', genesis: '000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943' },
  testnet4: { name: 'testnet4', label: 'Bitcoin testnet4', rpcPort: 48332, cookieDir: 'testnet4', attestation: 'bitcoin', coreChain: 'testnet4', genesis: '00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043' },
  // The default signet; a custom signet (-signetchallenge) has another genesis and is refused.
  signet: { name: 'signet', label: 'Bitcoin signet', rpcPort: 38332, cookieDir: 'signet', attestation: 'bitcoin', coreChain: 'signet', genesis: '00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6' },
  // Any regtest node, Litecoin's included: the proofs carry Bitcoin attestations, which the real
  // clients then verify against that same node (DESIGN §4).
  regtest: { name: 'regtest', label: 'Bitcoin regtest', rpcPort: 18443, cookieDir: 'regtest', attestation: 'bitcoin', coreChain: 'regtest', genesis: null },
  litecoin: { name: 'litecoin', label: 'Litecoin', rpcPort: 9332, cookieDir: '', attestation: 'litecoin', coreChain: 'main', genesis: '12a765e31ffd4059bada1e25190f6e98c99d9714d334efa41a195a7e7e04bfe2' },
  'litecoin-regtest': { name: 'litecoin-regtest', label: 'Litecoin regtest', rpcPort: 19443, cookieDir: 'regtest', attestation: 'litecoin', coreChain: 'regtest', genesis: null },
});

export class UnknownChainError extends Error {
  readonly code = 'unknown-chain';
  constructor(name: string) {
    super(`unknown chain ${JSON.stringify(name)}; expected one of ${Object.keys(CHAINS).join(', ')}`);
    this.name = 'UnknownChainError';
  }
}

/** The node is on another network than the configured chain: the calendar must not run. */
export class ChainMismatchError extends Error {
  readonly code = 'chain-mismatch';
  constructor(
    readonly chain: ChainName,
    detail: string,
  ) {
    super(`node is not on chain ${chain}: ${detail}`);
    this.name = 'ChainMismatchError';
  }
}

export function getChain(name: string): Chain {
  if (!Object.hasOwn(CHAINS, name)) throw new UnknownChainError(name);
  return CHAINS[name as ChainName];
}

/** Where Core writes its cookie for this chain under `datadir`. */
export function cookieFilePath(chain: Chain, datadir: string): string {
  return join(datadir, chain.cookieDir, '.cookie');
}

/** `http://127.0.0.1:<default port>`, the URL to use when none is configured. */
export function defaultRpcUrl(chain: Chain): string {
  return `http://127.0.0.1:${chain.rpcPort}`;
}

/**
 * Refuses a node on another network: its `getblockchaininfo.chain` must match and, for a public chain,
 * its block 0 must be the chain's genesis. Raises {@link ChainMismatchError}; RPC failures propagate.
 */
export async function checkGenesis(client: Pick<BitcoinRpc, 'getBlockchainInfo' | 'getBlockHash'>, chain: Chain): Promise<void> {
  const info = await client.getBlockchainInfo();
  if (info.chain !== chain.coreChain) throw new ChainMismatchError(chain.name, `node reports network "${info.chain}", expected "${chain.coreChain}"`);
  if (chain.genesis === null) return;
  const genesis = await client.getBlockHash(0);
  if (genesis !== chain.genesis) throw new ChainMismatchError(chain.name, `block 0 is ${genesis ?? 'missing'}, expected ${chain.genesis}`);
}
