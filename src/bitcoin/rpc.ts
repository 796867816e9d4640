/** @module Typed Bitcoin Core RPC calls for anchoring: every answer validated, amounts in integer satoshis, txs and headers re-hashed against what was asked. */
import { AmountError, satsToAmount } from './amount.js';
import { BLOCK_HEADER_LENGTH, bytesToHex } from '../ots/index.js';
import { checkBlockHeader } from './block-header.js';
import { decodeHexField, HexError, internalToDisplayHex } from './hex.js';
import { RpcConnection, type RpcConnectionOptions, type RpcParams } from './rpc-connection.js';
import { RpcError, RpcResponseError, RPC_CODE } from './rpc-errors.js';
import { JsonShapeError, arrayOf, asHash, asHexBytes, asSats, asString, asUint } from './rpc-json.js';
import * as R from './rpc-results.js';
import { decodeTx, decodeTxExpecting, txid as computeTxid, type Tx, TxidMismatchError } from './tx.js';

export interface BitcoinRpcOptions extends RpcConnectionOptions {
  /** Wallet for wallet calls (`/wallet/<name>`); without it they go to `/`, which works when one wallet is loaded. */
  wallet?: string;
}

export interface RawTransaction extends R.RawTransactionInfo {
  tx: Tx;
}

/**
 * The calls anchoring makes. Reads are retried on transient failures (see {@link RpcConnection}); writes
 * (`sendrawtransaction`, `generatetoaddress`, address creation, `stop`, block invalidation) are not.
 * Every method is safe to call concurrently.
 */
export class BitcoinRpc {
  readonly connection: RpcConnection;
  readonly wallet: string | undefined;

  constructor(options: BitcoinRpcOptions | { connection: RpcConnection; wallet?: string }) {
    this.connection = 'connection' in options ? options.connection : new RpcConnection(options);
    this.wallet = options.wallet;
  }

  /** A client for another wallet on the same node and connection settings. */
  withWallet(wallet: string): BitcoinRpc {
    return new BitcoinRpc({ connection: this.connection, wallet });
  }

  /** The node's address without credentials, for logs. */
  get endpoint(): string {
    return this.connection.endpoint;
  }

  /** Escape hatch for a call without a wrapper. The result is `unknown` until the caller validates it. */
  call(method: string, params: RpcParams, options: { idempotent: boolean; wallet?: boolean }): Promise<unknown> {
    return this.connection.call(method, params, { idempotent: options.idempotent, wallet: options.wallet ? this.wallet : undefined });
  }

  #read(method: string, params: unknown[] = []): Promise<unknown> {
    return this.connection.call(method, params, { idempotent: true });
  }
  #write(method: string, params: unknown[] = []): Promise<unknown> {
    return this.connection.call(method, params, { idempotent: false });
  }
  #walletRead(method: string, params: unknown[] = []): Promise<unknown> {
    return this.connection.call(method, params, { idempotent: true, wallet: this.wallet });
  }
  #walletWrite(method: string, params: unknown[] = []): Promise<unknown> {
    return this.connection.call(method, params, { idempotent: false, wallet: this.wallet });
  }

  /** Runs a validator; a shape, hex or amount failure becomes an {@link RpcResponseError} naming the method. */
  #parse<T>(method: string, value: unknown, parse: (v: unknown) => T): T {
    try {
      return parse(value);
    } catch (err) {
      if (err instanceof JsonShapeError || err instanceof HexError || err instanceof AmountError) {
        throw new RpcResponseError(method, err.message, { cause: err });
      }
      throw err;
    }
  }

  // ---- chain state ----

  async getBlockchainInfo(): Promise<R.BlockchainInfo> {
    return this.#parse('getblockchaininfo', await this.#read('getblockchaininfo'), R.parseBlockchainInfo);
  }

  async getBlockCount(): Promise<number> {
    return this.#parse('getblockcount', await this.#read('getblockcount'), (v) => asUint(v, 'result'));
  }

  async getBestBlockHash(): Promise<string> {
    return this.#parse('getbestblockhash', await this.#read('getbestblockhash'), (v) => asHash(v, 'result'));
  }

  /** Hash of the active chain's block at `height`, or null above the tip (Core's -8 "out of range"). */
  async getBlockHash(height: number): Promise<string | null> {
    try {
      return this.#parse('getblockhash', await this.#read('getblockhash', [height]), (v) => asHash(v, 'result'));
    } catch (err) {
      if (err instanceof RpcError && err.rpcCode === RPC_CODE.INVALID_PARAMETER) return null;
      throw err;
    }
  }

  async getBlockHeader(hash: string): Promise<R.BlockHeaderInfo> {
    const info = this.#parse('getblockheader', await this.#read('getblockheader', [hash, true]), R.parseBlockHeaderInfo);
    if (info.hash !== hash.toLowerCase()) throw new RpcResponseError('getblockheader', `header for ${info.hash}, asked ${hash}`);
    return info;
  }

  /** The 80-byte header, checked to hash to `hash`. */
  async getBlockHeaderRaw(hash: string): Promise<Uint8Array> {
    const raw = this.#parse('getblockheader', await this.#read('getblockheader', [hash, false]), (v) => asHexBytes(v, 'result', BLOCK_HEADER_LENGTH));
    checkBlockHeader(raw, hash);
    return raw;
  }

  /** Verbosity 1: header fields and the txids in block order. */
  async getBlock(hash: string): Promise<R.BlockInfo> {
    const info = this.#parse('getblock', await this.#read('getblock', [hash, 1]), R.parseBlockInfo);
    if (info.hash !== hash.toLowerCase()) throw new RpcResponseError('getblock', `block ${info.hash}, asked ${hash}`);
    return info;
  }

  /** Verbosity 0: the serialized block, its header checked to hash to `hash`. */
  async getBlockRaw(hash: string): Promise<Uint8Array> {
    const raw = this.#parse('getblock', await this.#read('getblock', [hash, 0]), (v) => asHexBytes(v, 'result'));
    if (raw.length < BLOCK_HEADER_LENGTH) throw new RpcResponseError('getblock', `${raw.length} bytes is shorter than a header`);
    checkBlockHeader(raw.subarray(0, BLOCK_HEADER_LENGTH), hash);
    return raw;
  }

  /**
   * A transaction by txid (mempool, `-txindex`, or inside `blockHash`), parsed and re-hashed:
   * {@link TxidMismatchError} if the bytes are not the transaction asked for.
   */
  async getRawTransaction(txid: string, blockHash?: string): Promise<RawTransaction> {
    const params: unknown[] = blockHash === undefined ? [txid, true] : [txid, true, blockHash];
    const info = this.#parse('getrawtransaction', await this.#read('getrawtransaction', params), R.parseRawTransactionInfo);
    if (info.txid !== txid.toLowerCase()) throw new TxidMismatchError(txid, info.txid);
    return { ...info, tx: decodeTxExpecting(info.raw, txid) };
  }

  /** An unspent output, or null when spent or unknown. With `includeMempool`, mempool spends count too. */
  async getTxOut(txid: string, vout: number, includeMempool = true): Promise<R.TxOutInfo | null> {
    return this.#parse('gettxout', await this.#read('gettxout', [txid, vout, includeMempool]), R.parseTxOut);
  }

  /** The mempool entry, or null when the transaction is not in the mempool (Core's -5). */
  async getMempoolEntry(txid: string): Promise<R.MempoolEntry | null> {
    try {
      return this.#parse('getmempoolentry', await this.#read('getmempoolentry', [txid]), R.parseMempoolEntry);
    } catch (err) {
      if (err instanceof RpcError && err.rpcCode === RPC_CODE.INVALID_ADDRESS_OR_KEY) return null;
      throw err;
    }
  }

  async getRawMempool(): Promise<string[]> {
    return this.#parse('getrawmempool', await this.#read('getrawmempool', [false]), (v) => arrayOf(v, 'result', asHash));
  }

  async estimateSmartFee(confTarget: number, mode?: 'ECONOMICAL' | 'CONSERVATIVE'): Promise<R.FeeEstimate> {
    const params: unknown[] = mode === undefined ? [confTarget] : [confTarget, mode];
    return this.#parse('estimatesmartfee', await this.#read('estimatesmartfee', params), R.parseFeeEstimate);
  }

  async getNetworkInfo(): Promise<R.NetworkInfo> {
    return this.#parse('getnetworkinfo', await this.#read('getnetworkinfo'), R.parseNetworkInfo);
  }

  async getMempoolInfo(): Promise<R.MempoolInfo> {
    return this.#parse('getmempoolinfo', await this.#read('getmempoolinfo'), R.parseMempoolInfo);
  }

  /**
   * Whether the node would take `raw` into its mempool now, without taking it (a read: nothing changes in the
   * node). The verdict is checked to be about the transaction given.
   */
  async testMempoolAccept(raw: Uint8Array): Promise<R.MempoolAcceptance> {
    const expected = internalToDisplayHex(computeTxid(decodeTx(raw)));
    const verdict = this.#parse('testmempoolaccept', await this.#read('testmempoolaccept', [[bytesToHex(raw)]]), R.parseMempoolAcceptance);
    if (verdict.txid !== expected) throw new TxidMismatchError(expected, verdict.txid);
    return verdict;
  }

  /** Flushes the chainstate to disk as a side effect, so a later crash cannot lose regtest blocks (environment §3). */
  async getTxOutSetInfo(): Promise<R.TxOutSetInfo> {
    return this.#parse('gettxoutsetinfo', await this.#read('gettxoutsetinfo'), R.parseTxOutSetInfo);
  }

  // ---- writes on the node ----

  /**
   * Broadcasts once; never retried (style rule 9). On {@link RpcUnavailableError} the outcome is unknown:
   * look the txid up. The returned txid is checked against the one computed from the bytes.
   * `maxFeeRate` (sat/kvB) overrides Core's default cap.
   */
  async sendRawTransaction(raw: Uint8Array, maxFeeRate?: number): Promise<string> {
    const expected = internalToDisplayHex(computeTxid(decodeTx(raw)));
    const params: unknown[] = maxFeeRate === undefined ? [bytesToHex(raw)] : [bytesToHex(raw), satsToAmount(maxFeeRate)];
    const got = this.#parse('sendrawtransaction', await this.#write('sendrawtransaction', params), (v) => asHash(v, 'result'));
    if (got !== expected) throw new TxidMismatchError(expected, got);
    return got;
  }

  async generateToAddress(blocks: number, address: string): Promise<string[]> {
    return this.#parse('generatetoaddress', await this.#write('generatetoaddress', [blocks, address]), (v) => arrayOf(v, 'result', asHash));
  }

  async invalidateBlock(hash: string): Promise<void> {
    await this.#write('invalidateblock', [hash]);
  }

  async reconsiderBlock(hash: string): Promise<void> {
    await this.#write('reconsiderblock', [hash]);
  }

  /** Asks the node to shut down; resolves when it has acknowledged. */
  async stop(): Promise<void> {
    await this.#write('stop');
  }

  // ---- wallet ----

  async createWallet(name: string): Promise<void> {
    await this.#write('createwallet', [name]);
  }

  async loadWallet(name: string): Promise<void> {
    await this.#write('loadwallet', [name]);
  }

  async listWallets(): Promise<string[]> {
    return this.#parse('listwallets', await this.#read('listwallets'), (v) => arrayOf(v, 'result', asString));
  }

  async listUnspent(minConf = 1, maxConf = 9_999_999): Promise<R.Unspent[]> {
    return this.#parse('listunspent', await this.#walletRead('listunspent', [minConf, maxConf]), (v) => arrayOf(v, 'result', R.parseUnspent));
  }

  /** A fresh receiving address (a write: it advances the keypool). `type` e.g. `bech32`, `legacy`. */
  async getNewAddress(label = '', type?: string): Promise<string> {
    const params: unknown[] = type === undefined ? [label] : [label, type];
    return this.#parse('getnewaddress', await this.#walletWrite('getnewaddress', params), (v) => asString(v, 'result'));
  }

  async getRawChangeAddress(type?: string): Promise<string> {
    const params: unknown[] = type === undefined ? [] : [type];
    return this.#parse('getrawchangeaddress', await this.#walletWrite('getrawchangeaddress', params), (v) => asString(v, 'result'));
  }

  /** Address details, notably its scriptPubKey: the code never parses addresses itself (DESIGN §4). */
  async getAddressInfo(address: string): Promise<R.AddressInfo> {
    return this.#parse('getaddressinfo', await this.#walletRead('getaddressinfo', [address]), R.parseAddressInfo);
  }

  /** Core builds an unsigned transaction (inputs with explicit nSequence; address or OP_RETURN data outputs). */
  async createRawTransaction(
    inputs: { txid: string; vout: number; sequence?: number }[],
    outputs: ({ address: string; sats: number } | { data: Uint8Array })[],
    lockTime = 0,
  ): Promise<Uint8Array> {
    const ins = inputs.map((i) => (i.sequence === undefined ? { txid: i.txid, vout: i.vout } : { txid: i.txid, vout: i.vout, sequence: i.sequence }));
    const outs = outputs.map((o) => ('data' in o ? { data: bytesToHex(o.data) } : { [o.address]: satsToAmount(o.sats) }));
    const hex = this.#parse('createrawtransaction', await this.#read('createrawtransaction', [ins, outs, lockTime]), (v) => asString(v, 'result'));
    return decodeHexField(hex, 'createrawtransaction result');
  }

  /** Signs with wallet keys. Deterministic (RFC 6979), hence retried like a read. Check `complete`. */
  async signRawTransactionWithWallet(raw: Uint8Array): Promise<R.SignResult> {
    return this.#parse('signrawtransactionwithwallet', await this.#walletRead('signrawtransactionwithwallet', [bytesToHex(raw)]), R.parseSignResult);
  }

  async getBalance(minConf = 0): Promise<number> {
    return this.#parse('getbalance', await this.#walletRead('getbalance', ['*', minConf]), (v) => asSats(v, 'result'));
  }

  async getBalances(): Promise<R.Balances> {
    return this.#parse('getbalances', await this.#walletRead('getbalances'), R.parseBalances);
  }

  async getTransaction(txid: string): Promise<R.WalletTransaction> {
    const t = this.#parse('gettransaction', await this.#walletRead('gettransaction', [txid]), R.parseWalletTransaction);
    if (t.txid !== txid.toLowerCase()) throw new TxidMismatchError(txid, t.txid);
    decodeTxExpecting(t.raw, txid);
    return t;
  }

  async listTransactions(label = '*', count = 10, skip = 0): Promise<R.WalletTxSummary[]> {
    return this.#parse('listtransactions', await this.#walletRead('listtransactions', [label, count, skip]), (v) => arrayOf(v, 'result', R.parseWalletTxSummary));
  }
}
