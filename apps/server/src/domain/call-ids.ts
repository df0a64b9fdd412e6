import { randomFillSync } from 'node:crypto';

/**
 * Call ids as time-ordered UUIDs (RFC 9562 version 7): 48 bits of Unix milliseconds, then a 12-bit counter
 * that orders the ids one process makes within a millisecond (RFC 9562 §6.2, method 1), then random bits.
 * A job's calls are listed by `created_at, call_id`; timestamps are to the millisecond, and against a fast
 * upstream the retries of one request start in the same millisecond — with random ids they were listed in
 * any order (a CI flake, twice). Ids of different processes in one millisecond keep no order between them.
 */
let lastMs = 0;
let counter = 0;

/** Random bytes drawn 512 ids at a time: one `randomFillSync` per id cost ~10 µs of the event loop per call. */
const POOL_BYTES = 8 * 512;
const pool = new Uint8Array(POOL_BYTES);
let poolOffset = POOL_BYTES;
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

export function newCallId(now: number = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    counter = 0;
  } else if (counter < 0xfff) {
    counter += 1;
  } else {
    // 4,096 ids in one millisecond (or the clock went back): borrow the next millisecond to stay ordered.
    lastMs += 1;
    counter = 0;
  }
  if (poolOffset === POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const at = poolOffset;
  poolOffset += 8;
  const time = lastMs.toString(16).padStart(12, '0');
  const versionAndCounter = (0x7000 | counter).toString(16);
  const variantAndRandom = HEX[0x80 | (pool[at]! & 0x3f)]! + HEX[pool[at + 1]!]!;
  let tail = '';
  for (let index = at + 2; index < at + 8; index++) tail += HEX[pool[index]!]!;
  return `${time.slice(0, 8)}-${time.slice(8)}-${versionAndCounter}-${variantAndRandom}-${tail}`;
}
