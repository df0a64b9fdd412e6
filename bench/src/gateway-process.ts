import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CORES, freePort, spawnPinned, waitForHttp, type PinnedProcess } from './pinned-process.ts';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
const BUNDLE = join(REPO_ROOT, 'apps/server/dist/saas-llm.mjs');
let bundled = false;

/** Builds the bundle `npm start` runs (scripts/bundle.mjs), once per benchmark process. */
function ensureBundle(): void {
  if (bundled) return;
  execFileSync(process.execPath, [join(REPO_ROOT, 'scripts/bundle.mjs')], { stdio: 'inherit' });
  bundled = true;
}

/** What the gateway needs to run the same way again over the same data (restarts, cold start). */
export interface GatewaySettings {
  dataDir: string;
  masterKey: string;
  encryptionKey: string;
  /** `WORKERS` of the gateway; 1 unless the run asks for more. */
  workers: string;
  /** null → embedded PGlite in the data dir (the default a fresh clone runs on). */
  databaseUrl: string | null;
  cores: string;
  /** Extra Node flags, e.g. `--cpu-prof` to profile the hot path (`BENCH_GATEWAY_NODE_ARGS`). */
  nodeArgs: string[];
}

export interface GatewayProcess {
  process: PinnedProcess;
  url: string;
  settings: GatewaySettings;
  /** Milliseconds from spawn to the first answered `GET /health`. */
  readyAfterMs: number;
  stop(): Promise<void>;
}

export function newGatewaySettings(options: { workers?: string; databaseUrl?: string | null; cores?: string; nodeArgs?: string[] } = {}): GatewaySettings {
  return {
    dataDir: mkdtempSync(join(tmpdir(), 'saas-llm-bench-')),
    masterKey: `bench-master-${randomBytes(16).toString('hex')}`,
    encryptionKey: randomBytes(32).toString('hex'),
    workers: options.workers ?? '1',
    databaseUrl: options.databaseUrl ?? null,
    cores: options.cores ?? CORES.underTest,
    nodeArgs: options.nodeArgs ?? [],
  };
}

/**
 * Starts the real gateway — `saas-llm serve` from the bundle, as `npm start` runs it — pinned to its cores,
 * in production mode (master key and encryption key set), and waits for `/health`.
 */
export async function startGateway(settings: GatewaySettings, timeoutMs = 60_000): Promise<GatewayProcess> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    SAAS_LLM_DATA_DIR: settings.dataDir,
    SAAS_LLM_MASTER_KEY: settings.masterKey,
    SAAS_LLM_ENCRYPTION_KEY: settings.encryptionKey,
    WORKERS: settings.workers,
    ...(settings.databaseUrl ? { DATABASE_URL: settings.databaseUrl } : {}),
  };
  ensureBundle();
  const gateway = spawnPinned('gateway', settings.cores, process.execPath, [...settings.nodeArgs, BUNDLE, 'serve'], { env, cwd: REPO_ROOT });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/health`, timeoutMs, gateway);
  } catch (error) {
    await gateway.stop();
    throw error;
  }
  return { process: gateway, url, settings, readyAfterMs: performance.now() - gateway.spawnedAt, stop: () => gateway.stop() };
}

/** Removes the gateway's temporary data directory (after its process has stopped). */
export function removeGatewayData(settings: GatewaySettings): void {
  rmSync(settings.dataDir, { recursive: true, force: true });
}
