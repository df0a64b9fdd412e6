/**
 * Issue 3's latency report: the added latency of one non-streaming call and the added time to first
 * token through the gateway (job API, governance on) versus straight to the mock upstream — the median of
 * 100 sequential requests each after 5 s of such requests, so nothing queues and the figure is what one call
 * pays in the steady state.
 *
 * `node --import tsx bench/src/sequential-latency.ts` (after `npm install`); prints a small table.
 */
import { AdminApi, createBenchTenant, openBenchJob, completeBenchJob } from './bench-tenant.ts';
import { newGatewaySettings, removeGatewayData, startGateway } from './gateway-process.ts';
import { CORES, spawnPinned } from './pinned-process.ts';
import { REPO_ROOT } from './gateway-process.ts';

const ROUNDS = 100;
/** Sequential calls to both before measuring (per measure). */
const WARMUP_MS = 5000;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function timeCall(url: string, headers: Record<string, string>, body: unknown, stream: boolean): Promise<number> {
  const started = performance.now();
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${url} → ${response.status}: ${await response.text()}`);
  if (!stream) {
    await response.arrayBuffer();
    return performance.now() - started;
  }
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let firstToken = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    if (!firstToken && /"content":"[^"]/.test(text)) firstToken = performance.now() - started;
  }
  return firstToken;
}

async function main(): Promise<void> {
  let port = '';
  const mock = spawnPinned('mock', CORES.outside, process.execPath, ['--import', 'tsx', `${REPO_ROOT}/bench/src/mock-upstream.ts`, '--port', '0'], {
    onStdout: (text) => { port ||= /listening (\d+)/.exec(text)?.[1] ?? ''; },
  });
  while (!port) await new Promise((resolve) => setTimeout(resolve, 20));
  const mockOrigin = `http://127.0.0.1:${port}`;
  const settings = newGatewaySettings();
  const gateway = await startGateway(settings);
  try {
    const tenant = await createBenchTenant(new AdminApi(gateway.url, settings.masterKey), mockOrigin);
    const jobId = await openBenchJob(gateway.url, tenant.virtualKey, 'latency');
    const auth = { authorization: `Bearer ${tenant.virtualKey}` };
    const messages = [{ role: 'user', content: 'Hello' }];
    const rows: Array<[string, number, number]> = [];
    for (const stream of [false, true]) {
      const direct: number[] = [];
      const through: number[] = [];
      const directCall = () => timeCall(`${mockOrigin}/v1/chat/completions`, {}, { model: 'bench-mock-model', messages, stream }, stream);
      const gatewayCall = () => timeCall(`${gateway.url}/api/jobs/${jobId}/${stream ? 'llm-call-stream' : 'llm-call'}`, auth, { model_group: tenant.groups.instant, messages }, stream);
      // The steady state, not a cold process: after ten calls most of the gateway's code still runs
      // interpreted (the figure then varied by 2–3 ms between runs).
      const warmUntil = performance.now() + WARMUP_MS;
      while (performance.now() < warmUntil) {
        await directCall();
        await gatewayCall();
      }
      for (let round = 0; round < ROUNDS; round += 1) {
        direct.push(await directCall());
        through.push(await gatewayCall());
      }
      rows.push([stream ? 'time to first token (stream)' : 'non-streaming call', median(direct), median(through)]);
    }
    await completeBenchJob(gateway.url, tenant.virtualKey, jobId);
    console.log(`median of ${ROUNDS} sequential requests each (ms)`);
    console.log('| measure | direct to the mock | through the gateway | added |');
    console.log('|---|---:|---:|---:|');
    for (const [name, direct, through] of rows) console.log(`| ${name} | ${direct.toFixed(2)} | ${through.toFixed(2)} | ${(through - direct).toFixed(2)} |`);
  } finally {
    await gateway.stop();
    removeGatewayData(settings);
    await mock.stop();
  }
}

await main();
