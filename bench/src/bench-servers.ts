import { AdminApi, createBenchTenant, openBenchJob, type BenchTenant } from './bench-tenant.ts';
import { newGatewaySettings, REPO_ROOT, removeGatewayData, startGateway, type GatewayProcess } from './gateway-process.ts';
import { CORES, freePort, spawnPinned, waitForHttp, type PinnedProcess } from './pinned-process.ts';

/** Every process of a benchmark run, started once and stopped together. */
export interface BenchServers {
  mock: PinnedProcess;
  mockUrl: string;
  bare: PinnedProcess;
  bareUrl: string;
  portkey: PinnedProcess;
  portkeyUrl: string;
  gateway: GatewayProcess;
  admin: AdminApi;
  tenant: BenchTenant;
  /** The long-lived job of the gateway rows. */
  jobId: string;
  stop(): Promise<void>;
}

async function startPinnedServer(name: string, cores: string, args: string[], healthPath: string, port: number, timeoutMs: number): Promise<{ process: PinnedProcess; url: string }> {
  const server = spawnPinned(name, cores, process.execPath, args, { cwd: REPO_ROOT });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}${healthPath}`, timeoutMs, server);
  return { process: server, url };
}

/**
 * Starts the mock upstream (core 0, with the load generator), then the bare proxy, Portkey and the gateway
 * (core 1, the core under test), and creates the gateway's benchmark tenant and its long-lived job.
 */
export async function startBenchServers(options: { gatewayWorkers?: string; databaseUrl?: string | null } = {}): Promise<BenchServers> {
  const started: Array<{ stop(): Promise<void> }> = [];
  try {
    const mockPort = await freePort();
    const mock = await startPinnedServer('mock upstream', CORES.outside, ['--import', 'tsx', 'bench/src/mock-upstream.ts', '--port', String(mockPort)], '/health', mockPort, 30_000);
    started.push(mock.process);
    const barePort = await freePort();
    const bare = await startPinnedServer('bare proxy', CORES.underTest, ['--import', 'tsx', 'bench/src/bare-proxy.ts', '--port', String(barePort), '--upstream', mock.url], '/health', barePort, 30_000);
    started.push(bare.process);
    const portkeyPort = await freePort();
    // Portkey answers GET / once its server is up (its headless mode serves no console).
    const portkey = await startPinnedServer('Portkey gateway', CORES.underTest,
      ['node_modules/@portkey-ai/gateway/build/start-server.js', `--port=${portkeyPort}`, '--headless'], '/', portkeyPort, 60_000);
    started.push(portkey.process);
    // BENCH_GATEWAY_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' profiles the gateway through a whole run.
    const nodeArgs = (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const settings = newGatewaySettings({ workers: options.gatewayWorkers ?? '1', databaseUrl: options.databaseUrl ?? null, nodeArgs });
    const gateway = await startGateway(settings);
    started.push({ stop: async () => { await gateway.stop(); removeGatewayData(settings); } });
    const admin = new AdminApi(gateway.url, settings.masterKey);
    const tenant = await createBenchTenant(admin, mock.url);
    const jobId = await openBenchJob(gateway.url, tenant.virtualKey, 'benchmark');
    return {
      mock: mock.process, mockUrl: mock.url, bare: bare.process, bareUrl: bare.url, portkey: portkey.process, portkeyUrl: portkey.url,
      gateway, admin, tenant, jobId,
      stop: () => stopAll(started),
    };
  } catch (error) {
    await stopAll(started);
    throw error;
  }
}

async function stopAll(processes: Array<{ stop(): Promise<void> }>): Promise<void> {
  await Promise.allSettled(processes.reverse().map((each) => each.stop()));
}
