import { Pool } from 'undici';
import { summarise, type LatencySummary, type RequestSpec } from './load-run.ts';

export interface StreamTimings {
  streams: number;
  failed: number;
  /** Request sent → first content chunk received, ms. */
  ttftMs: LatencySummary;
  /**
   * Per content chunk: received − sent by the mock (both `process.hrtime`, CLOCK_MONOTONIC, shared by
   * every process), ms. Through a proxy this is the time the chunk spent in it, plus loopback and the
   * client's own reading, which the direct row measures alone.
   */
  chunkTransitMs: LatencySummary;
}

const FRAME_END = '\n\n';
const STAMP = /t=(\d+) /;

/**
 * Opens `total` streams, `concurrency` at a time, and times each content chunk. Frames are cut at the
 * blank line and a chunk counts as received when its frame is complete. Bounded by `timeoutMs` overall.
 */
export async function probeStreams(spec: RequestSpec, options: { total: number; concurrency: number; timeoutMs: number }): Promise<StreamTimings> {
  const url = new URL(spec.url);
  const pool = new Pool(url.origin, { connections: options.concurrency, keepAliveTimeout: 60_000 });
  const ttft: number[] = [];
  const transit: number[] = [];
  let failed = 0;
  let started = 0;
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const one = async (): Promise<void> => {
    const sentAt = process.hrtime.bigint();
    const response = await pool.request({
      method: 'POST', path: `${url.pathname}${url.search}`, signal: deadline,
      headers: { 'content-type': 'application/json', ...spec.headers }, body: spec.body,
    });
    if (response.statusCode !== 200) {
      await response.body.dump();
      throw new Error(`status ${response.statusCode}`);
    }
    let buffered = '';
    let first = true;
    for await (const part of response.body) {
      const receivedAt = process.hrtime.bigint();
      buffered += (part as Buffer).toString('utf8');
      let end: number;
      while ((end = buffered.indexOf(FRAME_END)) !== -1) {
        const frame = buffered.slice(0, end);
        buffered = buffered.slice(end + FRAME_END.length);
        const stamp = STAMP.exec(frame);
        if (!stamp) continue;
        if (first) {
          ttft.push(Number(receivedAt - sentAt) / 1e6);
          first = false;
        }
        transit.push(Number(receivedAt - BigInt(stamp[1]!)) / 1e6);
      }
    }
    if (first) throw new Error('the stream carried no content chunk');
  };
  const worker = async (): Promise<void> => {
    while (started < options.total && !deadline.aborted) {
      started++;
      try {
        await one();
      } catch {
        failed++;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, worker));
  } finally {
    await pool.close();
  }
  return { streams: started, failed, ttftMs: summarise(ttft), chunkTransitMs: summarise(transit) };
}
