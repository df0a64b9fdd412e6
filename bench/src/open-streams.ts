import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import type { RequestSpec } from './load-run.ts';
import { memoryOf, round1 } from './pinned-process.ts';

export interface OpenStreamsResult {
  requested: number;
  /** Streams that delivered their first content chunk while all were open. */
  open: number;
  failed: number;
  /** ms from the first request to the last stream's first chunk. */
  openedInMs: number;
  /** RSS of the process under test with every stream open (highest of a few samples), MB. */
  rssMb: number;
  rssBeforeMb: number;
}

/**
 * Opens `count` streams at once against a stream shape that keeps them open (a chunk a second), waits
 * until each has delivered a content chunk (or `openTimeoutMs` passes), samples the RSS of `pid` for
 * `holdMs`, then disconnects every client — the proxies must abort their upstream streams.
 */
export async function holdOpenStreams(spec: RequestSpec, pid: number, options: { count: number; openTimeoutMs: number; holdMs: number }): Promise<OpenStreamsResult> {
  const url = new URL(spec.url);
  const pool = new Pool(url.origin, { connections: options.count, keepAliveTimeout: 10_000 });
  const controller = new AbortController();
  const rssBeforeMb = memoryOf(pid).rssMb;
  let open = 0;
  let failed = 0;
  let lastOpenedAt = 0;
  const started = performance.now();
  const streams = Array.from({ length: options.count }, async () => {
    try {
      const response = await pool.request({
        method: 'POST', path: `${url.pathname}${url.search}`, signal: controller.signal,
        headers: { 'content-type': 'application/json', ...spec.headers }, body: spec.body,
      });
      if (response.statusCode !== 200) {
        failed++;
        await response.body.dump();
        return;
      }
      let counted = false;
      for await (const part of response.body) {
        if (!counted && (part as Buffer).includes('t=')) {
          counted = true;
          open++;
          lastOpenedAt = performance.now();
        }
      }
    } catch (error) {
      if (!controller.signal.aborted) failed++;
      void error;
    }
  });
  const deadline = performance.now() + options.openTimeoutMs;
  while (open + failed < options.count && performance.now() < deadline) await sleep(50);
  const openedInMs = Math.round((lastOpenedAt || performance.now()) - started);
  let rssMb = 0;
  const holdUntil = performance.now() + options.holdMs;
  while (performance.now() < holdUntil) {
    rssMb = Math.max(rssMb, memoryOf(pid).rssMb);
    await sleep(250);
  }
  const stillOpen = open;
  controller.abort();
  await Promise.allSettled(streams);
  await pool.destroy();
  return { requested: options.count, open: stillOpen, failed, openedInMs, rssMb: round1(rssMb), rssBeforeMb };
}
