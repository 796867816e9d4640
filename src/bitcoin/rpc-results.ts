/** @module Typed shapes of the Bitcoin Core RPC answers anchoring uses, each with the validator that narrows the raw JSON to it. */
import { JsonShapeError, asBool, asHash, asHexBytes, asInt, asNumber, asObject, asSatPerKvB, asSats, asString, asUint, arrayOf, optional } from './rpc-json.js';

export interface BlockchainInfo {
  /** Core's network id: `main`, `test`, `testnet4`, `signet`, `regtest`. */
  chain: string;
  blocks: number;
  headers: number;
  bestBlockHash: string;
  initialBlockDownload: boolean;
  verificationProgress: number;
  pruned: boolean;
}

export function parseBlockchainInfo(v: unknown): BlockchainInfo {
  const o = asObject(v, 'result');
  return {
    chain: asString(o.chain, 'chain'),
    blocks: asUint(o.blocks, 'blocks'),
    headers: asUint(o.headers, 'headers'),
    bestBlockHash: asHash(o.bestblockhash, 'bestblockhash'),
    initialBlockDownload: asBool(o.initialblockdownload, 'initialblockdownload'),
    verificationProgress: asNumber(o.verificationprogress, 'verificationprogress'),
    pruned: asBool(o.pruned, 'pruned'),
  };
}

export interface BlockHeaderInfo {
  hash: string;
  height: number;
  /** -1 when the block is no longer on the active chain. */
  confirmations: number;
  merkleRoot: string;
  time: number;
  medianTime: number;
  nTx: number;
  previousBlockHash?: string;
  nextBlockHash?: string;
}

export function parseBlockHeaderInfo(v: unknown): BlockHeaderInfo {
  const o = asObject(v, 'result');
  return {
    hash: asHash(o.hash, 'hash'),
    height: asUint(o.height, 'height'),
    confirmations: asInt(o.confirmations, 'confirmations'),
    merkleRoot: asHash(o.merkleroot, 'merkleroot'),
    time: asUint(o.time, 'time'),
    medianTime: asUint(o.mediantime, 'mediantime'),
    nTx: asUint(o.nTx, 'nTx'),
    previousBlockHash: optional(o.previousblockhash, 'previousblockhash', asHash),
    nextBlockHash: optional(o.nextblockhash, 'nextblockhash', asHash),
  };
}

export interface BlockInfo extends BlockHeaderInfo {
  /** Txids in block order, display hex. */
  txids: string[];
}

export function parseBlockInfo(v: unknown): BlockInfo {
  const header = parseBlockHeaderInfo(v);
  const txids = arrayOf(asObject(v, 'result').tx, 'tx', asHash);
  if (txids.length !== header.nTx) throw new JsonShapeError('tx', `nTx = ${header.nTx} txids`, txids);
  return { ...header, txids };
}

export interface RawTransactionInfo {
  raw: Uint8Array;
  txid: string;
  /** Set once the transaction is in a block (on the active chain or not). */
  blockHash?: string;
  confirmations?: number;
  blockTime?: number;
}

export function parseRawTransactionInfo(v: unknown): RawTransactionInfo {
  const o = asObject(v, 'result');
  return {
    raw: asHexBytes(o.hex, 'hex'),
    txid: asHash(o.txid, 'txid'),
    blockHash: optional(o.blockhash, 'blockhash', asHash),
    confirmations: optional(o.confirmations, 'confirmations', asInt),
    blockTime: optional(o.blocktime, 'blocktime', asUint),
  };
}

export interface TxOutInfo {
  bestBlock: string;
  /** 0 for an output of a mempool transaction. */
  confirmations: number;
  value: number;
  scriptPubKey: Uint8Array;
  coinbase: boolean;
}

export function parseTxOut(v: unknown): TxOutInfo | null {
  if (v === null) return null;
  const o = asObject(v, 'result');
  return {
    bestBlock: asHash(o.bestblock, 'bestblock'),
    confirmations: asUint(o.confirmations, 'confirmations'),
    value: asSats(o.value, 'value'),
    scriptPubKey: asHexBytes(asObject(o.scriptPubKey, 'scriptPubKey').hex, 'scriptPubKey.hex'),
    coinbase: asBool(o.coinbase, 'coinbase'),
  };
}

export interface MempoolEntry {
  vsize: number;
  weight: number;
  /** Base fee in satoshis (without prioritisetransaction deltas). */
  fee: number;
  time: number;
  height: number;
  wtxid: string;
  bip125Replaceable: boolean;
  depends: string[];
  spentBy: string[];
}

export function parseMempoolEntry(v: unknown): MempoolEntry {
  const o = asObject(v, 'result');
  return {
    vsize: asUint(o.vsize, 'vsize'),
    weight: asUint(o.weight, 'weight'),
    fee: asSats(asObject(o.fees, 'fees').base, 'fees.base'),
    time: asUint(o.time, 'time'),
    height: asUint(o.height, 'height'),
    wtxid: asHash(o.wtxid, 'wtxid'),
    bip125Replaceable: asBool(o['bip125-replaceable'], 'bip125-replaceable'),
    depends: arrayOf(o.depends, 'depends', asHash),
    spentBy: arrayOf(o.spentby, 'spentby', asHash),
  };
}

export interface Unspent {
  txid: string;
  vout: number;
  address?: string;
  scriptPubKey: Uint8Array;
  amount: number;
  confirmations: number;
  spendable: boolean;
  solvable: boolean;
  /** Core's judgement that spending it is safe (e.g. not an unconfirmed output of someone else's tx). */
  safe: boolean;
}

export function parseUnspent(v: unknown, path: string): Unspent {
  const o = asObject(v, path);
  return {
    txid: asHash(o.txid, `${path}.txid`),
    vout: asUint(o.vout, `${path}.vout`),
    address: optional(o.address, `${path}.address`, asString),
    scriptPubKey: asHexBytes(o.scriptPubKey, `${path}.scriptPubKey`),
    amount: asSats(o.amount, `${path}.amount`),
    confirmations: asUint(o.confirmations, `${path}.confirmations`),
    spendable: asBool(o.spendable, `${path}.spendable`),
    solvable: asBool(o.solvable, `${path}.solvable`),
    safe: asBool(o.safe, `${path}.safe`),
  };
}

export interface AddressInfo {
  address: string;
  scriptPubKey: Uint8Array;
  isMine: boolean;
  isWatchOnly: boolean;
  solvable: boolean;
}

export function parseAddressInfo(v: unknown): AddressInfo {
  const o = asObject(v, 'result');
  return {
    address: asString(o.address, 'address'),
    scriptPubKey: asHexBytes(o.scriptPubKey, 'scriptPubKey'),
    isMine: asBool(o.ismine, 'ismine'),
    isWatchOnly: asBool(o.iswatchonly, 'iswatchonly'),
    solvable: asBool(o.solvable, 'solvable'),
  };
}

export interface SignResult {
  raw: Uint8Array;
  complete: boolean;
  errors: { txid: string; vout: number; error: string }[];
}

export function parseSignResult(v: unknown): SignResult {
  const o = asObject(v, 'result');
  return {
    raw: asHexBytes(o.hex, 'hex'),
    complete: asBool(o.complete, 'complete'),
    errors:
      optional(o.errors, 'errors', (e, p) =>
        arrayOf(e, p, (x, q) => {
          const eo = asObject(x, q);
          return { txid: asHash(eo.txid, `${q}.txid`), vout: asUint(eo.vout, `${q}.vout`), error: asString(eo.error, `${q}.error`) };
        }),
      ) ?? [],
  };
}

export interface FeeEstimate {
  /** Satoshis per 1000 virtual bytes, or undefined when the node has no estimate (normal on regtest). */
  satPerKvB?: number;
  blocks: number;
  errors: string[];
}

export function parseFeeEstimate(v: unknown): FeeEstimate {
  const o = asObject(v, 'result');
  return {
    satPerKvB: optional(o.feerate, 'feerate', asSatPerKvB),
    blocks: asUint(o.blocks, 'blocks'),
    errors: optional(o.errors, 'errors', (e, p) => arrayOf(e, p, asString)) ?? [],
  };
}

export interface Balances {
  trusted: number;
  untrustedPending: number;
  immature: number;
}

export function parseBalances(v: unknown): Balances {
  const mine = asObject(asObject(v, 'result').mine, 'mine');
  return {
    trusted: asSats(mine.trusted, 'mine.trusted'),
    untrustedPending: asSats(mine.untrusted_pending, 'mine.untrusted_pending'),
    immature: asSats(mine.immature, 'mine.immature'),
  };
}

export interface WalletTransaction {
  txid: string;
  /** Negative when a conflicting transaction is in the chain that many blocks deep. */
  confirmations: number;
  amount: number;
  /** Negative (paid), present for sends. */
  fee?: number;
  blockHash?: string;
  blockHeight?: number;
  walletConflicts: string[];
  replacedByTxid?: string;
  raw: Uint8Array;
}

export function parseWalletTransaction(v: unknown): WalletTransaction {
  const o = asObject(v, 'result');
  return {
    txid: asHash(o.txid, 'txid'),
    confirmations: asInt(o.confirmations, 'confirmations'),
    amount: asSats(o.amount, 'amount'),
    fee: optional(o.fee, 'fee', asSats),
    blockHash: optional(o.blockhash, 'blockhash', asHash),
    blockHeight: optional(o.blockheight, 'blockheight', asUint),
    walletConflicts: arrayOf(o.walletconflicts, 'walletconflicts', asHash),
    replacedByTxid: optional(o.replaced_by_txid, 'replaced_by_txid', asHash),
    raw: asHexBytes(o.hex, 'hex'),
  };
}

export interface WalletTxSummary {
  txid: string;
  category: string;
  amount: number;
  fee?: number;
  confirmations: number;
  blockHash?: string;
  time: number;
}

export function parseWalletTxSummary(v: unknown, path: string): WalletTxSummary {
  const o = asObject(v, path);
  return {
    txid: asHash(o.txid, `${path}.txid`),
    category: asString(o.category, `${path}.category`),
    amount: asSats(o.amount, `${path}.amount`),
    fee: optional(o.fee, `${path}.fee`, asSats),
    confirmations: asInt(o.confirmations, `${path}.confirmations`),
    blockHash: optional(o.blockhash, `${path}.blockhash`, asHash),
    time: asUint(o.time, `${path}.time`),
  };
}

export interface TxOutSetInfo {
  height: number;
  bestBlock: string;
  txouts: number;
  totalAmount: number;
}

export function parseTxOutSetInfo(v: unknown): TxOutSetInfo {
  const o = asObject(v, 'result');
  return {
    height: asUint(o.height, 'height'),
    bestBlock: asHash(o.bestblock, 'bestblock'),
    txouts: asUint(o.txouts, 'txouts'),
    totalAmount: asSats(o.total_amount, 'total_amount'),
  };
}

export interface NetworkInfo {
  version: number;
  subversion: string;
  /** Minimum relay fee rate, satoshis per kvB. */
  relayFee: number;
  /** BIP125 incremental relay fee rate, satoshis per kvB. */
  incrementalFee: number;
}

export function parseNetworkInfo(v: unknown): NetworkInfo {
  const o = asObject(v, 'result');
  return {
    version: asUint(o.version, 'version'),
    subversion: asString(o.subversion, 'subversion'),
    relayFee: asSatPerKvB(o.relayfee, 'relayfee'),
    incrementalFee: asSatPerKvB(o.incrementalfee, 'incrementalfee'),
  };
}

export interface MempoolInfo {
  /** Transactions in the mempool. */
  size: number;
  /** The least fee rate a transaction needs to enter the mempool now, satoshis per kvB (rises when it is full). */
  minFee: number;
  /** `-minrelaytxfee`, satoshis per kvB. */
  minRelayFee: number;
}

export function parseMempoolInfo(v: unknown): MempoolInfo {
  const o = asObject(v, 'result');
  return { size: asUint(o.size, 'size'), minFee: asSatPerKvB(o.mempoolminfee, 'mempoolminfee'), minRelayFee: asSatPerKvB(o.minrelaytxfee, 'minrelaytxfee') };
}

/** One transaction's verdict from `testmempoolaccept`. */
export interface MempoolAcceptance {
  txid: string;
  allowed: boolean;
  /** Core's reason when not allowed, e.g. `min relay fee not met`, `bad-txns-inputs-missingorspent`. */
  rejectReason?: string;
}

export function parseMempoolAcceptance(v: unknown): MempoolAcceptance {
  const [first, ...rest] = arrayOf(v, 'result', (x, p) => {
    const o = asObject(x, p);
    return { txid: asHash(o.txid, `${p}.txid`), allowed: asBool(o.allowed, `${p}.allowed`), rejectReason: optional(o['reject-reason'], `${p}.reject-reason`, asString) };
  });
  if (first === undefined || rest.length > 0) throw new JsonShapeError('result', 'one verdict', v);
  return first.rejectReason === undefined ? { txid: first.txid, allowed: first.allowed } : first;
}
