/**
 * Counts the tokens of text under a byte-level BPE encoding (o200k for the gateway), from compact tables:
 * every token's bytes in one Uint8Array and an open-addressing hash table of ranks in an Int32Array.
 * gpt-tokenizer keeps a Map of ~200k strings plus a decoder array (~15 MB of V8 heap for o200k, for the
 * life of the counting thread); these tables take ~4 MB. Counting only, never encoding or decoding, so no
 * reverse table is kept. The merge is tiktoken's: split the text with the encoding's pattern, then in
 * each piece repeatedly merge the adjacent pair of lowest rank until no pair is a token.
 */
const encoder = new TextEncoder();
const NO_RANK = 0x7fffffff;

export class BpeTokenCounter {
  /** Token `rank`'s bytes are `bytes[starts[rank]] … bytes[starts[rank + 1] - 1]` (empty for an unused rank). */
  private readonly bytes: Uint8Array;
  private readonly starts: Uint32Array;
  /** Open addressing, linear probing: rank + 1 at the slot of the bytes' hash, 0 for an empty slot. */
  private readonly table: Int32Array;
  private readonly mask: number;
  /** Reused between pieces: the piece's UTF-8 bytes, its part boundaries and the ranks of adjacent pairs. */
  private scratch = new Uint8Array(1024);
  private parts = new Int32Array(1025);
  private pairRanks = new Int32Array(1025);

  /**
   * @param ranks the encoding's tokens by rank: text, or bytes where the token is not valid UTF-8 on its
   *   own (gpt-tokenizer's `bpeRanks` format); holes for unused ranks.
   * @param splitPattern the encoding's pre-tokenisation pattern (a global, unicode RegExp).
   */
  constructor(ranks: ReadonlyArray<string | readonly number[] | undefined>, private readonly splitPattern: RegExp) {
    let capacity = 0;
    for (let rank = 0; rank < ranks.length; rank++) {
      const token = ranks[rank];
      capacity += typeof token === 'string' ? token.length * 3 : token?.length ?? 0;
    }
    const bytes = new Uint8Array(capacity);
    this.starts = new Uint32Array(ranks.length + 1);
    let end = 0;
    for (let rank = 0; rank < ranks.length; rank++) {
      this.starts[rank] = end;
      const token = ranks[rank];
      if (typeof token === 'string') end += encoder.encodeInto(token, bytes.subarray(end)).written;
      else if (token) { bytes.set(token, end); end += token.length; }
    }
    this.starts[ranks.length] = end;
    this.bytes = bytes.slice(0, end);
    let size = 1;
    while (size < ranks.length * 2) size *= 2;
    this.table = new Int32Array(size);
    this.mask = size - 1;
    for (let rank = 0; rank < ranks.length; rank++) {
      const from = this.starts[rank]!;
      const to = this.starts[rank + 1]!;
      if (to === from) continue;
      let slot = hash(this.bytes, from, to) & this.mask;
      while (this.table[slot] !== 0) slot = (slot + 1) & this.mask;
      this.table[slot] = rank + 1;
    }
  }

  /** The number of tokens `text` encodes to, every character sequence taken as text (no special tokens). */
  count(text: string): number {
    let total = 0;
    for (const match of text.matchAll(this.splitPattern)) total += this.pieceTokens(match[0]);
    return total;
  }

  private pieceTokens(piece: string): number {
    if (this.scratch.length < piece.length * 3) this.scratch = new Uint8Array(piece.length * 3);
    const length = encoder.encodeInto(piece, this.scratch).written;
    const bytes = this.scratch;
    if (this.rank(bytes, 0, length) !== NO_RANK) return 1;
    if (this.parts.length < length + 1) {
      this.parts = new Int32Array(length + 1);
      this.pairRanks = new Int32Array(length + 1);
    }
    // parts[i] is where part i starts (parts[count] = length); pairRanks[i] ranks parts i and i + 1 merged.
    const parts = this.parts;
    const pairRanks = this.pairRanks;
    let count = length;
    for (let index = 0; index <= length; index++) parts[index] = index;
    for (let index = 0; index < count - 1; index++) pairRanks[index] = this.rank(bytes, index, index + 2);
    while (count > 1) {
      let lowest = NO_RANK;
      let at = -1;
      for (let index = 0; index < count - 1; index++) {
        if (pairRanks[index]! < lowest) { lowest = pairRanks[index]!; at = index; }
      }
      if (at < 0) break;
      // Part at + 1 joins part at: drop its start and the pair rank at + 1 shifts down to at.
      parts.copyWithin(at + 1, at + 2, count + 1);
      pairRanks.copyWithin(at, at + 1, count - 1);
      count--;
      if (at < count - 1) pairRanks[at] = this.rank(bytes, parts[at]!, parts[at + 2]!);
      if (at > 0) pairRanks[at - 1] = this.rank(bytes, parts[at - 1]!, parts[at + 1]!);
    }
    return count;
  }

  /** The rank of `bytes[from … to - 1]`, or NO_RANK when those bytes are not one token. */
  private rank(bytes: Uint8Array, from: number, to: number): number {
    const length = to - from;
    let slot = hash(bytes, from, to) & this.mask;
    for (;;) {
      const entry = this.table[slot]!;
      if (entry === 0) return NO_RANK;
      const start = this.starts[entry - 1]!;
      if (this.starts[entry]! - start === length && sameBytes(this.bytes, start, bytes, from, length)) return entry - 1;
      slot = (slot + 1) & this.mask;
    }
  }
}

/** FNV-1a over a byte range. */
function hash(bytes: Uint8Array, from: number, to: number): number {
  let value = 0x811c9dc5;
  for (let index = from; index < to; index++) value = Math.imul(value ^ bytes[index]!, 0x01000193);
  return value >>> 0;
}

function sameBytes(left: Uint8Array, leftFrom: number, right: Uint8Array, rightFrom: number, length: number): boolean {
  for (let index = 0; index < length; index++) if (left[leftFrom + index] !== right[rightFrom + index]) return false;
  return true;
}
