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
/**
 * Pieces longer than this merge with a heap (O(n log n)) instead of rescanning every pair (O(n²)): a prompt
 * of 40,000 repeated `éè` (one piece, no spaces) took 5.7 s to count the quadratic way, and a request body
 * may be 10 MB — hours of a counting thread that every later exact count waits behind.
 */
const LONG_PIECE_BYTES = 256;
/** Heap keys: rank × 2³¹ + a part's start (ranks < 2²¹, starts < 2³¹: exact in a double). */
const KEY_SCALE = 2 ** 31;

export class BpeTokenCounter {
  /** Token `rank`'s bytes are `bytes[starts[rank]] … bytes[starts[rank + 1] - 1]` (empty for an unused rank). */
  private readonly bytes: Uint8Array;
  private readonly starts: Uint32Array;
  /** Open addressing, linear probing: rank + 1 at the slot of the bytes' hash, 0 for an empty slot. */
  private readonly table: Int32Array;
  private readonly mask: number;
  /** No token is longer: a longer span is not looked up. */
  private readonly longestToken: number;
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
    let longest = 0;
    for (let rank = 0; rank < ranks.length; rank++) longest = Math.max(longest, this.starts[rank + 1]! - this.starts[rank]!);
    this.longestToken = longest;
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
    return length > LONG_PIECE_BYTES ? this.mergeLong(bytes, length) : this.mergeShort(bytes, length);
  }

  /** Merges by rescanning every adjacent pair for the lowest rank: quick for the short pieces of prose. */
  private mergeShort(bytes: Uint8Array, length: number): number {
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

  /**
   * The same merges in the same order, for long pieces: parts form a linked list by start offset, and a
   * min-heap holds (rank, start) of adjacent pairs. An entry whose part is gone or whose pair's rank has
   * changed is skipped when it comes up; ties go to the leftmost pair, as in the rescanning merge.
   */
  private mergeLong(bytes: Uint8Array, length: number): number {
    const next = new Int32Array(length + 1);
    const prev = new Int32Array(length + 1);
    const pairRank = new Int32Array(length);
    const alive = new Uint8Array(length);
    const heap = new MinHeap(length);
    for (let start = 0; start < length; start++) {
      next[start] = start + 1;
      prev[start] = start - 1;
      alive[start] = 1;
      pairRank[start] = start + 1 < length ? this.rank(bytes, start, start + 2) : NO_RANK;
      if (pairRank[start] !== NO_RANK) heap.push(pairRank[start]! * KEY_SCALE + start);
    }
    let count = length;
    while (heap.size > 0) {
      const key = heap.pop();
      const rank = Math.floor(key / KEY_SCALE);
      const start = key - rank * KEY_SCALE;
      if (!alive[start] || pairRank[start] !== rank) continue;
      const joined = next[start]!;
      const after = next[joined]!;
      alive[joined] = 0;
      next[start] = after;
      if (after < length) prev[after] = start;
      count--;
      pairRank[start] = after < length ? this.rank(bytes, start, next[after]!) : NO_RANK;
      if (pairRank[start] !== NO_RANK) heap.push(pairRank[start]! * KEY_SCALE + start);
      const before = prev[start]!;
      if (before >= 0) {
        pairRank[before] = this.rank(bytes, before, after);
        if (pairRank[before] !== NO_RANK) heap.push(pairRank[before]! * KEY_SCALE + before);
      }
    }
    return count;
  }

  /** The rank of `bytes[from … to - 1]`, or NO_RANK when those bytes are not one token. */
  private rank(bytes: Uint8Array, from: number, to: number): number {
    const length = to - from;
    if (length > this.longestToken) return NO_RANK;
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

/** A binary min-heap of numbers, growing as needed. */
class MinHeap {
  private items: Float64Array;
  size = 0;

  constructor(capacity: number) {
    this.items = new Float64Array(Math.max(16, capacity));
  }

  push(value: number): void {
    if (this.size === this.items.length) {
      const grown = new Float64Array(this.items.length * 2);
      grown.set(this.items);
      this.items = grown;
    }
    const items = this.items;
    let index = this.size++;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (items[parent]! <= value) break;
      items[index] = items[parent]!;
      index = parent;
    }
    items[index] = value;
  }

  pop(): number {
    const items = this.items;
    const top = items[0]!;
    const last = items[--this.size]!;
    let index = 0;
    for (;;) {
      let child = index * 2 + 1;
      if (child >= this.size) break;
      if (child + 1 < this.size && items[child + 1]! < items[child]!) child++;
      if (items[child]! >= last) break;
      items[index] = items[child]!;
      index = child;
    }
    items[index] = last;
    return top;
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
