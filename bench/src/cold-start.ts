import { setTimeout as sleep } from 'node:timers/promises';
import { startGateway, type GatewaySettings } from './gateway-process.ts';
import type { RequestSpec } from './load-run.ts';
import { memoryOf } from './pinned-process.ts';

export interface ColdStart {
  /** Spawn → first LLM call answered 200, on an existing PGlite data directory (migrations already applied). */
  restartToFirstCallMs: number;
  /** RSS right after that first call (the idle footprint of a started gateway), MB. */
  rssAfterFirstCallMb: number;
}

/**
 * Restarts the gateway over the data of a previous run (stopped first: PGlite locks its directory) and
 * times spawn → the first LLM call that succeeds, polling every 10 ms. Leaves the new process running
 * for the caller to stop.
 */
export async function measureRestart(settings: GatewaySettings, call: (gatewayUrl: string) => RequestSpec, timeoutMs = 60_000): Promise<{ result: ColdStart; stop: () => Promise<void> }> {
  // startGateway waits for /health, and the port is only known once it is chosen; measure from its spawn.
  const gateway = await startGateway(settings, timeoutMs);
  const spec = call(gateway.url);
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const response = await fetch(spec.url, { method: 'POST', headers: { 'content-type': 'application/json', ...spec.headers }, body: spec.body }).catch(() => null);
    if (response) {
      await response.arrayBuffer();
      if (response.status === 200) {
        const result = { restartToFirstCallMs: Math.round(performance.now() - gateway.process.spawnedAt), rssAfterFirstCallMb: memoryOf(gateway.process.pid).rssMb };
        return { result, stop: gateway.stop };
      }
    }
    await sleep(10);
  }
  await gateway.stop();
  throw new Error(`the restarted gateway served no call within ${timeoutMs} ms`);
}
