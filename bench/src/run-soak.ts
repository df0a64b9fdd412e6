/**
 * `npm run bench:soak`: 100,000 calls through the gateway's job API — three non-streaming calls to every
 * streaming one, spread over four long-lived jobs — on one pinned core, sampling the gateway's RSS every
 * second. Afterwards the jobs are completed and the money is checked through the admin API: no errors,
 * no reservation left behind, the ledger summing to the balance, every call recorded. RSS must plateau:
 * the report gives the slope of RSS over the second half of the run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AdminApi, completeBenchJob, createBenchTenant, openBenchJob } from './bench-tenant.ts';
import { newGatewaySettings, REPO_ROOT, removeGatewayData, startGateway } from './gateway-process.ts';
import { checkLedger } from './ledger-check.ts';
import { runLoad, type RequestSpec } from './load-run.ts';
import { describeMachine, finishMachineDescription } from './machine.ts';
import { CORES, freePort, memoryOf, pinSelf, round2, spawnPinned, waitForHttp } from './pinned-process.ts';
import { writeSoakMarkdown, type SoakSummary } from './soak-report.ts';
import { gatewayJobTarget } from './targets.ts';

const TOTAL_REQUESTS = Number(process.env.BENCH_SOAK_REQUESTS ?? 100_000);
const CONNECTIONS = 50;
const JOBS = 4;
/** Upper bound of the whole load phase; the run fails rather than go on forever on a slow machine. */
const MAX_SECONDS = 30 * 60;

function log(message: string): void {
  process.stdout.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** Least-squares slope of y over x. */
function slope(points: Array<{ x: number; y: number }>): number {
  const n = points.length;
  if (n < 2) return Number.NaN;
  const meanX = points.reduce((sum, point) => sum + point.x, 0) / n;
  const meanY = points.reduce((sum, point) => sum + point.y, 0) / n;
  let numerator = 0;
  let denominator = 0;
  for (const point of points) {
    numerator += (point.x - meanX) * (point.y - meanY);
    denominator += (point.x - meanX) ** 2;
  }
  return denominator === 0 ? Number.NaN : numerator / denominator;
}

interface JobCosts { costs: { total_calls: number; in_flight_calls: number } }

async function main(): Promise<void> {
  const started = new Date();
  pinSelf(CORES.outside);
  const machine = describeMachine(REPO_ROOT);
  const mockPort = await freePort();
  const mock = spawnPinned('mock upstream', CORES.outside, process.execPath, ['--import', 'tsx', 'bench/src/mock-upstream.ts', '--port', String(mockPort)], { cwd: REPO_ROOT });
  const mockUrl = `http://127.0.0.1:${mockPort}`;
  const settings = newGatewaySettings();
  let gateway: Awaited<ReturnType<typeof startGateway>> | null = null;
  try {
    await waitForHttp(`${mockUrl}/health`, 30_000, mock);
    gateway = await startGateway(settings);
    const admin = new AdminApi(gateway.url, settings.masterKey);
    const tenant = await createBenchTenant(admin, mockUrl);
    const jobs: string[] = [];
    for (let index = 0; index < JOBS; index++) jobs.push(await openBenchJob(gateway.url, tenant.virtualKey, `soak-${index}`));
    const mix: RequestSpec[] = [];
    for (const jobId of jobs) {
      const target = gatewayJobTarget(gateway.url, tenant, jobId, gateway.process.pid);
      mix.push(target.json(), target.json(), target.stream('instant'), target.json());
    }
    const pid = gateway.process.pid;
    const samples: Array<{ second: number; completed: number; rssMb: number }> = [];
    const loadStarted = performance.now();
    log(`${TOTAL_REQUESTS} requests, ${CONNECTIONS} connections, 1 streaming call in 4, over ${JOBS} jobs`);
    const result = await runLoad(mix[0]!, {
      connections: CONNECTIONS, amount: TOTAL_REQUESTS, seconds: MAX_SECONDS, mix,
      onTick: (completed) => {
        const second = Math.round((performance.now() - loadStarted) / 1000);
        samples.push({ second, completed, rssMb: memoryOf(pid).rssMb });
        if (second % 30 === 0) log(`  ${completed} done, RSS ${samples.at(-1)!.rssMb} MB`);
      },
    });
    log(`done: ${result.ok} ok, ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts, ${result.rps} req/s`);
    // Settlements of the last calls may still be in flight when their responses arrive.
    await sleep(1000);
    let recorded = 0;
    let inFlight = 0;
    for (const jobId of jobs) {
      const response = await fetch(`${gateway.url}/api/jobs/${jobId}`, { headers: { authorization: `Bearer ${tenant.virtualKey}` } });
      const job = (await response.json()) as JobCosts;
      recorded += job.costs.total_calls;
      inFlight += job.costs.in_flight_calls;
      await completeBenchJob(gateway.url, tenant.virtualKey, jobId);
    }
    const ledger = await checkLedger(admin, tenant.teamId);
    const secondHalf = samples.filter((sample) => sample.completed >= TOTAL_REQUESTS / 2);
    const perTenThousand = slope(secondHalf.map((sample) => ({ x: sample.completed / 10_000, y: sample.rssMb })));
    const perMinute = slope(secondHalf.map((sample) => ({ x: sample.second / 60, y: sample.rssMb })));
    finishMachineDescription(machine);
    const finished = new Date();
    const summary: SoakSummary & { rss: { samples: typeof samples } } = {
      kind: 'soak', startedAt: started.toISOString(),
      durationSeconds: Math.round((finished.getTime() - started.getTime()) / 1000), machine,
      setup: { requests: TOTAL_REQUESTS, connections: CONNECTIONS, jobs: JOBS, mix: '3 non-streaming : 1 streaming (8 chunks)', database: 'pglite', workers: 1 },
      load: result,
      calls: { recorded, inFlightAfter: inFlight, expected: result.ok },
      rss: {
        firstMb: samples[0]?.rssMb ?? null, lastMb: samples.at(-1)?.rssMb ?? null, maxMb: Math.max(...samples.map((sample) => sample.rssMb)),
        secondHalfSlopeMbPer10kRequests: round2(perTenThousand), secondHalfSlopeMbPerMinute: round2(perMinute),
        samples,
      },
      ledger,
      passed: result.errors === 0 && result.non2xx === 0 && result.timeouts === 0 && ledger.balanced && ledger.noLeakedReservations && recorded === result.ok,
    };
    const file = join(REPO_ROOT, 'bench', 'results', `soak-${started.toISOString().slice(0, 10)}.json`);
    mkdirSync(join(REPO_ROOT, 'bench', 'results'), { recursive: true });
    writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);
    writeSoakMarkdown(join(REPO_ROOT, 'BENCHMARKS.md'), summary);
    log(`RSS ${summary.rss.firstMb} → ${summary.rss.lastMb} MB (max ${summary.rss.maxMb}); second-half slope ${summary.rss.secondHalfSlopeMbPer10kRequests} MB per 10k requests, ${summary.rss.secondHalfSlopeMbPerMinute} MB/min`);
    log(`calls recorded ${recorded} of ${result.ok} answered; reserved after ${ledger.creditsReserved} credits; ledger ${ledger.balanced ? 'balances' : 'DOES NOT balance'} (${ledger.ledgerSum} vs remaining ${ledger.creditsRemaining})`);
    log(`${summary.passed ? 'PASSED' : 'FAILED'} — wrote ${file}`);
    if (!summary.passed) process.exitCode = 1;
  } finally {
    await gateway?.stop();
    await mock.stop();
    removeGatewayData(settings);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`soak failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exitCode = 1;
});
