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
const random = new Uint8Array(8);

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
  randomFillSync(random);
  const time = lastMs.toString(16).padStart(12, '0');
  const versionAndCounter = (0x7000 | counter).toString(16);
  const variantAndRandom = ((0x80 | (random[0]! & 0x3f)) * 256 + random[1]!).toString(16);
  const tail = Buffer.from(random.subarray(2)).toString('hex');
  return `${time.slice(0, 8)}-${time.slice(8)}-${versionAndCounter}-${variantAndRandom}-${tail}`;
}
