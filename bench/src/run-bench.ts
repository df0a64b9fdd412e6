/**
 * `npm run bench`: every row of 06-quality.md's performance section, side by side, in one run.
 * Placement and method: BENCHMARKS.md ("How it runs"). Every load loop is bounded in count and time,
 * every process listens on loopback only, and everything started here is stopped here.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startBenchServers, type BenchServers } from './bench-servers.ts';
import { measureRestart, type ColdStart } from './cold-start.ts';
import { REPO_ROOT } from './gateway-process.ts';
import { combinePasses, runLoad, type MeasuredLoad } from './load-run.ts';
import { pacedLatency } from './paced-latency.ts';
import { describeMachine, finishMachineDescription } from './machine.ts';
import { holdOpenStreams, type OpenStreamsResult } from './open-streams.ts';
import { CORES, cpuTimeMs, memoryOf, pinSelf, resetPeakRss } from './pinned-process.ts';
import { evaluateBars, writeBenchmarksMarkdown, type BenchResults, type RowResult } from './bench-report.ts';
import { measureWorkerScaling, type WorkerScaling } from './worker-scaling.ts';
import { probeStreams, type StreamTimings } from './stream-probe.ts';
import {
  bareTarget, directTarget, gatewayHasV1, gatewayJobTarget, gatewayV1Target, portkeyTarget, TARGET_KEYS, type Target, type TargetKey,
} from './targets.ts';

/** Durations (seconds) and sizes of each phase; the whole run stays well under 10 minutes. */
const FULL_PLAN = {
  /**
   * Long enough for JIT tier-up (the gateway's JavaScript and its database's WebAssembly, compiled on the
   * same pinned core): in trials the gateway needed 10–15 s of load to reach its steady rate, and a row
   * measured after 6 s ran up to 2× slower than the same row measured next. Every row gets the same.
   */
  warmupSeconds: 12,
  throughputSeconds: 8,
  concurrencies: [10, 100] as const,
  /** Evenly paced: a rate every row sustains, so latency is the call's own, not queueing. */
  latencyRate: 50,
  latencySeconds: 8,
  probeStreams: 60,
  probeConcurrency: 10,
  openStreams: 1000,
  openStreamsTimeoutMs: 30_000,
  openStreamsHoldMs: 3000,
};

/**
 * `BENCH_SMOKE=1`: every phase of the run, each for a moment (~1 minute in all), so the test suite proves
 * the harness works end to end — servers, Portkey, report — without measuring anything worth reading. It
 * writes to `BENCH_OUTPUT_DIR`, never over the repository's results.
 */
const SMOKE_PLAN: typeof FULL_PLAN = {
  warmupSeconds: 1, throughputSeconds: 1, concurrencies: [10, 100], latencyRate: 20, latencySeconds: 1,
  probeStreams: 4, probeConcurrency: 2, openStreams: 20, openStreamsTimeoutMs: 10_000, openStreamsHoldMs: 300,
};

const SMOKE = process.env.BENCH_SMOKE === '1';
const PLAN = SMOKE ? SMOKE_PLAN : FULL_PLAN;
/** Where the results JSON and BENCHMARKS.md go: the repository, unless `BENCH_OUTPUT_DIR` says otherwise. */
const OUTPUT_DIR = process.env.BENCH_OUTPUT_DIR || null;

function log(message: string): void {
  process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** One pass of a row at each concurrency; the first pass warms the row up before it measures. */
async function throughputPass(target: Target, warmUp: boolean): Promise<Record<string, MeasuredLoad>> {
  if (warmUp) await runLoad(target.json(), { connections: 10, seconds: PLAN.warmupSeconds });
  const rows: Record<string, MeasuredLoad> = {};
  for (const connections of PLAN.concurrencies) {
    const cpuBefore = cpuTimeMs(target.pid);
    const result = await runLoad(target.json(), { connections, seconds: PLAN.throughputSeconds });
    const answered = result.ok + result.non2xx;
    rows[`c${connections}`] = { ...result, cpuUsPerRequest: answered > 0 ? Math.round(((cpuTimeMs(target.pid) - cpuBefore) * 1000) / answered) : 0 };
    log(`  ${target.key} c=${connections}: ${result.rps} req/s, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, errors ${result.errors + result.non2xx}`);
  }
  return rows;
}

async function main(): Promise<void> {
  if (SMOKE && !OUTPUT_DIR) throw new Error('BENCH_SMOKE=1 needs BENCH_OUTPUT_DIR: a smoke run must not overwrite the repository\'s results');
  const started = new Date();
  const pinned = pinSelf(CORES.outside);
  const machine = describeMachine(REPO_ROOT);
  log(`${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, load average ${machine.loadAverageAtStart}; load generator pinned: ${pinned}`);
  const servers: BenchServers = await startBenchServers();
  try {
    const gatewayPid = servers.gateway.process.pid;
    const startupPeakMb = memoryOf(gatewayPid).peakRssMb;
    log(`gateway ready in ${Math.round(servers.gateway.readyAfterMs)} ms on a fresh PGlite data directory`);
    const v1 = await gatewayHasV1(servers.gateway.url, servers.tenant);
    log(`gateway /v1/chat/completions: ${v1 ? 'available' : 'not available in this build'}`);
    const targets: Partial<Record<TargetKey, Target>> = {
      direct: directTarget(servers.mockUrl, servers.mock.pid),
      bare: bareTarget(servers.bareUrl, servers.bare.pid),
      'gateway-job': gatewayJobTarget(servers.gateway.url, servers.tenant, servers.jobId, gatewayPid),
      ...(v1 ? { 'gateway-v1': gatewayV1Target(servers.gateway.url, servers.tenant, servers.jobId, gatewayPid) } : {}),
      portkey: portkeyTarget(servers.portkeyUrl, servers.mockUrl, servers.portkey.pid),
    };
    const rows: Partial<Record<TargetKey, RowResult>> = {};
    for (const key of TARGET_KEYS) {
      const target = targets[key];
      if (!target) continue;
      rows[key] = { idleRssMb: memoryOf(target.pid).rssMb } as RowResult;
      resetPeakRss(target.pid);
    }

    // Two passes, the rows in order and then in reverse: every row's mean moment in the run is the same, so a
    // machine whose speed drifts during the run (seen here: 1.4-2x between runs minutes apart) weighs on
    // every row alike instead of favouring whichever row ran in a fast minute.
    const passes: Partial<Record<TargetKey, Array<Record<string, MeasuredLoad>>>> = {};
    for (const [index, order] of [[...TARGET_KEYS], [...TARGET_KEYS].reverse()].entries()) {
      log(`throughput, pass ${index + 1} of 2 (closed loop, as fast as each row answers${index === 0 ? '' : '; rows in reverse order'})`);
      for (const key of order) {
        const target = targets[key];
        if (target) (passes[key] ??= []).push(await throughputPass(target, index === 0));
      }
    }
    for (const [key, rowPasses] of Object.entries(passes) as Array<[TargetKey, Array<Record<string, MeasuredLoad>>]>) {
      rows[key]!.throughputPasses = rowPasses;
      rows[key]!.throughput = Object.fromEntries(PLAN.concurrencies.map((connections) => [`c${connections}`, combinePasses(rowPasses.map((pass) => pass[`c${connections}`]!))]));
    }

    log(`latency at ${PLAN.latencyRate} req/s, evenly paced, up to 10 connections`);
    for (const key of TARGET_KEYS) {
      const target = targets[key];
      if (!target) continue;
      rows[key]!.latencyAtRate = await pacedLatency(target.json(), { connections: 10, seconds: PLAN.latencySeconds, rate: PLAN.latencyRate });
      log(`  ${key}: p50 ${rows[key]!.latencyAtRate.latencyMs.p50} ms, p99 ${rows[key]!.latencyAtRate.latencyMs.p99} ms`);
    }

    log(`streams: ${PLAN.probeStreams} streams, ${PLAN.probeConcurrency} at a time (first token after 20 ms, 20 chunks 10 ms apart)`);
    for (const key of TARGET_KEYS) {
      const target = targets[key];
      if (!target) continue;
      const timings: StreamTimings = await probeStreams(target.stream('probe'), { total: PLAN.probeStreams, concurrency: PLAN.probeConcurrency, timeoutMs: 60_000 });
      rows[key]!.streams = timings;
      log(`  ${key}: ttft p50 ${timings.ttftMs.p50} ms, chunk transit p50 ${timings.chunkTransitMs.p50} ms, failed ${timings.failed}`);
    }
    for (const key of TARGET_KEYS) {
      const target = targets[key];
      if (target) rows[key]!.peakRssMb = memoryOf(target.pid).peakRssMb;
    }

    log(`${PLAN.openStreams} concurrent open streams per proxy`);
    for (const key of TARGET_KEYS) {
      const target = targets[key];
      if (!target || key === 'direct') continue;
      const held: OpenStreamsResult = await holdOpenStreams(target.stream('hold'), target.pid,
        { count: PLAN.openStreams, openTimeoutMs: PLAN.openStreamsTimeoutMs, holdMs: PLAN.openStreamsHoldMs });
      rows[key]!.openStreams = held;
      log(`  ${key}: ${held.open}/${held.requested} open after ${held.openedInMs} ms, RSS ${held.rssMb} MB, failed ${held.failed}`);
      // Let the proxies finish tearing the cancelled streams down before the next row loads the machine.
      await sleep(2000);
    }

    log('cold start: restart the gateway on its data directory, time spawn → first LLM call');
    await servers.gateway.stop();
    const restart = await measureRestart(servers.gateway.settings, (url) => gatewayJobTarget(url, servers.tenant, servers.jobId, 0).json());
    await restart.stop();
    const coldStart: ColdStart & { freshDataDirToHealthMs: number; startupPeakRssMb: number } = {
      ...restart.result, freshDataDirToHealthMs: Math.round(servers.gateway.readyAfterMs), startupPeakRssMb: startupPeakMb,
    };
    log(`  restart → first call ${coldStart.restartToFirstCallMs} ms (fresh data directory → /health: ${coldStart.freshDataDirToHealthMs} ms)`);

    // Worker processes need PostgreSQL; without one this phase is reported as not measured.
    let workerScaling: WorkerScaling | null = null;
    const databaseUrl = process.env.BENCH_DATABASE_URL;
    if (databaseUrl) {
      log('worker scaling on PostgreSQL: WORKERS=1 vs WORKERS=2, both on cores 0-1');
      workerScaling = await measureWorkerScaling(databaseUrl, servers.mockUrl, { seconds: PLAN.throughputSeconds, connections: 100, warmupSeconds: PLAN.warmupSeconds });
      for (const run of workerScaling.runs) log(`  ${run.workers} worker(s): ${run.load.rps} req/s, ${run.cpuUsPerRequest} µs CPU per request`);
    }

    finishMachineDescription(machine);
    const finished = new Date();
    const results: BenchResults = {
      kind: 'bench', startedAt: started.toISOString(), finishedAt: finished.toISOString(),
      durationSeconds: Math.round((finished.getTime() - started.getTime()) / 1000), machine,
      placement: { loadGenerator: CORES.outside, mockUpstream: CORES.outside, underTest: CORES.underTest, pinned },
      gateway: { workers: 1, database: 'pglite', budgetMode: 'consumption_tokens', jobs: 'one long-lived job per run (max_calls 1,000,000)' },
      plan: PLAN, v1Available: v1, rows, coldStart, workerScaling, bars: [],
    };
    results.bars = evaluateBars(results);
    const resultsDir = OUTPUT_DIR ?? join(REPO_ROOT, 'bench', 'results');
    const markdown = join(OUTPUT_DIR ?? REPO_ROOT, 'BENCHMARKS.md');
    const file = join(resultsDir, `${started.toISOString().slice(0, 10)}.json`);
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    writeBenchmarksMarkdown(markdown, results);
    log(`wrote ${file} and ${markdown} in ${results.durationSeconds} s`);
  } finally {
    await servers.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exitCode = 1;
});
