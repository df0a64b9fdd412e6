import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HEAP_FLAGS, MALLOC_TUNABLES } from '../src/cli/memory-tuning.ts';
import { CLI_ENTRY, readDemoEnv, startServe } from './helpers/serve-process.ts';

const MASTER_KEY = 'mk-cli-test-0123456789abcdef';

function cliEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, SAAS_LLM_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', SAAS_LLM_MASTER_KEY: MASTER_KEY, LOG_LEVEL: 'warn', ...extra };
  delete env.DATABASE_URL; // this test is about the embedded default
  delete env.OPENAI_API_KEY;
  delete env.GLIBC_TUNABLES;
  return env;
}

/** A process's environment as the kernel has it (what it was exec'd with). */
function environOf(pid: number): string[] {
  return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
}

/** A process's command line as it was exec'd. */
function commandLineOf(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
}

function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI_ENTRY, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    child.on('exit', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

describe('saas-llm serve --demo, the admin CLI, restart and migrate', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'saas-llm-cli-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test('bootstraps the demo tenant, serves it, keeps data across a restart', async () => {
    const first = await startServe(cliEnv(dataDir));
    let jobId: string;
    try {
      assert.match(first.output(), /Virtual key \(shown once\): sk-/);
      // The process re-executed itself with the memory settings (decisions 017, 018): same pid, new environment
      // and V8 flags. (glibc parses the variable in place: the kernel's copy may end at the first setting.)
      if (process.platform === 'linux') {
        assert.ok(environOf(first.child.pid!).some((entry) => `GLIBC_TUNABLES=${MALLOC_TUNABLES}`.startsWith(entry) && entry.includes('glibc.malloc.')));
        for (const flag of HEAP_FLAGS) assert.ok(commandLineOf(first.child.pid!).includes(flag), flag);
      }
      const envFile = join(dataDir, 'demo.env');
      assert.equal(statSync(envFile).mode & 0o777, 0o600);
      assert.equal(statSync(join(dataDir, 'encryption.key')).mode & 0o777, 0o600);
      const env = readDemoEnv(dataDir);
      assert.equal(env.SAAS_API_URL, first.url);
      assert.equal(env.SAAS_TEAM_ID, 'team-alpha');
      const auth = { authorization: `Bearer ${env.SAAS_VIRTUAL_KEY}`, 'content-type': 'application/json' };
      const teams = await (await fetch(`${first.url}/api/teams`, { headers: auth })).json() as any;
      const team = Array.isArray(teams) ? teams[0] : teams.teams[0];
      assert.equal(team.team_id, 'team-alpha');
      assert.equal(team.credits_remaining, 1000);
      assert.deepEqual([...team.model_groups].sort(), ['chat-balanced', 'chat-fast', 'chat-quality']);
      const job = await (await fetch(`${first.url}/api/jobs/create`, { method: 'POST', headers: auth, body: JSON.stringify({ job_type: 'cli-test' }) })).json() as any;
      jobId = job.job_id;
      const call = await fetch(`${first.url}/api/jobs/${jobId}/llm-call`, { method: 'POST', headers: auth, body: JSON.stringify({ model_group: 'chat-fast', messages: [{ role: 'user', content: 'Hi' }] }) });
      assert.equal(call.status, 200);
      const done = await (await fetch(`${first.url}/api/jobs/${jobId}/complete`, { method: 'POST', headers: auth, body: JSON.stringify({ status: 'completed' }) })).json() as any;
      assert.equal(done.costs.credits_remaining, 999);

      const cliEnvironment = { ...cliEnv(dataDir), SAAS_API_URL: first.url };
      const listed = await runCli(['teams', 'list', '--json'], cliEnvironment);
      assert.equal(listed.code, 0, listed.stderr);
      assert.match(listed.stdout, /team-alpha/);
      const missing = await runCli(['teams', 'show', 'no-such-team'], cliEnvironment);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /no-such-team/);
      const wrongKey = await runCli(['teams', 'list'], { ...cliEnvironment, SAAS_LLM_MASTER_KEY: 'mk-wrong-key-000000000000' });
      assert.equal(wrongKey.code, 1);
    } finally {
      assert.equal(await first.stop(), 0);
    }

    const second = await startServe(cliEnv(dataDir, { SAAS_LLM_MEMORY_TUNING: 'off' }));
    try {
      assert.doesNotMatch(second.output(), /Virtual key \(shown once\)/);
      if (process.platform === 'linux') {
        assert.ok(!environOf(second.child.pid!).some((entry) => entry.startsWith('GLIBC_TUNABLES=')));
        for (const flag of HEAP_FLAGS) assert.ok(!commandLineOf(second.child.pid!).includes(flag), flag);
      }
      const env = readDemoEnv(dataDir);
      const job = await fetch(`${second.url}/api/jobs/${jobId!}`, { headers: { authorization: `Bearer ${env.SAAS_VIRTUAL_KEY}` } });
      assert.equal(job.status, 200);
      assert.equal((await job.json() as any).status, 'completed');
    } finally {
      await second.stop();
    }

    const migrated = await runCli(['migrate'], cliEnv(dataDir));
    assert.equal(migrated.code, 0, migrated.stderr);
    assert.match(migrated.stdout, /up to date/);
  });

  test('invalid configuration stops with one message naming the variable', async () => {
    const result = await runCli(['serve'], cliEnv(dataDir, { PORT: 'eighty' }));
    assert.equal(result.code, 1);
    assert.match(result.stderr, /Invalid configuration: PORT/);
    const production = await runCli(['serve'], cliEnv(dataDir, { NODE_ENV: 'production' }));
    assert.equal(production.code, 1);
    assert.match(production.stderr, /SAAS_LLM_ENCRYPTION_KEY/);
  });

  test('a port already in use: serve says so and exits instead of hanging on its open database', async () => {
    const blocker = createServer();
    await new Promise<void>((resolveListen) => blocker.listen(0, '127.0.0.1', resolveListen));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const started = Date.now();
      const result = await runCli(['serve'], cliEnv(mkdtempSync(join(tmpdir(), 'saas-llm-port-')), { PORT: String(port) }));
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /EADDRINUSE/);
      assert.ok(Date.now() - started < 60_000);
    } finally {
      blocker.close();
    }
  });
});
