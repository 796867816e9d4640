/** @module The `info` command: prints a `.ots` file's tree exactly as `ots info` (opentimestamps-client 0.7.2) prints it. */
import { readFile } from 'node:fs/promises';
import {
  BadMagicError,
  DeserializationError,
  DetachedTimestampFile,
  type Timestamp,
  attestationToString,
  bytesToHex,
  bytesToReversedHex,
  isBitcoinTransaction,
  opToString,
  pythonStrRepr,
  sha256d,
} from '../ots/index.js';

/**
 * Python `Timestamp.str_tree()` at verbosity 0. A node lists its attestations (sorted, with the merkle
 * root comment under Bitcoin and Litecoin ones), then its ops: one op continues at the same indent,
 * several are printed as ` -> op` branches indented by four. A message that is a whole Bitcoin
 * transaction gets a "Transaction id" line before its op (`*` instead of `#` in front of each branch).
 */
function strTree(root: Timestamp): string {
  const lines: string[] = [];
  const visit = (start: Timestamp, pad: string): void => {
    let node: Timestamp | undefined = start;
    while (node !== undefined) {
      const current: Timestamp = node;
      node = undefined;
      for (const a of current.sortedAttestations()) {
        lines.push(`${pad}verify ${attestationToString(a)}`);
        if (a.kind === 'bitcoin') lines.push(`${pad}# Bitcoin block merkle root ${bytesToReversedHex(current.msg)}`);
        if (a.kind === 'litecoin') lines.push(`${pad}# Litecoin block merkle root ${bytesToReversedHex(current.msg)}`);
      }
      const edges = current.sortedOps();
      if (edges.length === 0) break;
      const txid = isBitcoinTransaction(current.msg) ? bytesToReversedHex(sha256d(current.msg)) : undefined;
      const first = edges[0];
      if (edges.length === 1 && first !== undefined) {
        if (txid !== undefined) lines.push(`${pad}# Transaction id ${txid}`);
        lines.push(`${pad}${opToString(first.op)}`);
        node = first.child;
        continue;
      }
      for (const { op, child } of edges) {
        if (txid !== undefined) lines.push(`${pad}* Transaction id ${txid}`);
        lines.push(`${pad} -> ${opToString(op)}`);
        visit(child, `${pad}    `);
      }
    }
  };
  visit(root, '');
  return lines.map((l) => `${l}\n`).join('');
}

/** The whole stdout of `ots info FILE`, trailing blank line included. */
export function formatInfo(file: DetachedTimestampFile): string {
  return (
    `File ${file.fileHashOp.name} hash: ${bytesToHex(file.fileDigest)}\n` +
    'Timestamp:\n' +
    `${strTree(file.timestamp)}\n`
  );
}

/**
 * `info FILE`: prints the tree to `out` and returns 0. An unreadable or invalid file prints python's
 * message to `err` and returns 1; a wrong argument count prints the usage and returns 2.
 */
export async function runInfo(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const path = argv[0];
  if (argv.length !== 1 || path === undefined) {
    err('usage: ots-calendar info FILE\n');
    return 2;
  }
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    err(`Could not read ${pythonStrRepr(path)}: ${(e as Error).message}\n`);
    return 1;
  }
  let file: DetachedTimestampFile;
  try {
    file = DetachedTimestampFile.fromBytes(bytes);
  } catch (e) {
    if (e instanceof BadMagicError) {
      err(`Error! ${pythonStrRepr(path)} is not a timestamp file.\n`);
      return 1;
    }
    if (e instanceof DeserializationError) {
      err(`Invalid timestamp file ${pythonStrRepr(path)}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  out(formatInfo(file));
  return 0;
}
