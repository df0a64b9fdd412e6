import { AdminApi, createBenchTenant, openBenchJob } from './bench-tenant.ts';
import { newGatewaySettings, removeGatewayData, startGateway } from './gateway-process.ts';
import { runLoad, type LoadResult } from './load-run.ts';
import { cpuTimeMs } from './pinned-process.ts';
import { gatewayJobTarget } from './targets.ts';

export interface ScalingRun {
  workers: number;
  cores: string;
  load: LoadResult;
  /** CPU of the gateway's processes (primary + workers) per answered request, µs. */
  cpuUsPerRequest: number;
}

export interface WorkerScaling {
  database: 'postgres';
  runs: ScalingRun[];
  /** req/s with 2 workers ÷ req/s with 1 (2.0 would be linear). */
  speedup: number;
  note: string;
}

/**
 * Worker processes need PostgreSQL (PGlite is single-process), so this phase runs only with
 * `BENCH_DATABASE_URL`. Both runs get the same two cores — the machine has two, and the load generator, the
 * mock and PostgreSQL share them — so the speedup is what a second worker extracts from the same machine,
 * not a clean 1-core-vs-2-cores figure.
 */
export async function measureWorkerScaling(databaseUrl: string, mockUrl: string, options: { seconds: number; connections: number; warmupSeconds: number }): Promise<WorkerScaling> {
  const runs: ScalingRun[] = [];
  for (const workers of [1, 2]) {
    const cores = '0,1';
    const settings = newGatewaySettings({ workers: String(workers), databaseUrl, cores });
    const gateway = await startGateway(settings);
    try {
      const admin = new AdminApi(gateway.url, settings.masterKey);
      const suffix = `w${workers}-${Date.now().toString(36)}`;
      const tenant = await createBenchTenant(admin, mockUrl, suffix);
      const jobId = await openBenchJob(gateway.url, tenant.virtualKey, `scaling-${workers}`);
      const target = gatewayJobTarget(gateway.url, tenant, jobId, gateway.process.pid);
      await runLoad(target.json(), { connections: options.connections, seconds: options.warmupSeconds });
      const cpuBefore = cpuTimeMs(gateway.process.pid);
      const load = await runLoad(target.json(), { connections: options.connections, seconds: options.seconds });
      const answered = load.ok + load.non2xx;
      runs.push({ workers, cores, load, cpuUsPerRequest: answered > 0 ? Math.round(((cpuTimeMs(gateway.process.pid) - cpuBefore) * 1000) / answered) : 0 });
    } finally {
      await gateway.stop();
      removeGatewayData(settings);
    }
  }
  return {
    database: 'postgres', runs, speedup: Math.round((runs[1]!.load.rps / runs[0]!.load.rps) * 100) / 100,
    note: 'both runs on cores 0-1, shared with the load generator, the mock upstream and PostgreSQL',
  };
}
