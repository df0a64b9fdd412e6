import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFreshPostgresDatabase } from '@saas-llm/testkit';
import { readDemoEnv, startServe } from './helpers/serve-process.ts';

const MASTER_KEY = 'mk-crash-test-0123456789abcdef';

/**
 * 06-quality.md, "Crash": `kill -9` under load, restart → no job charged twice, the ledger still sums to
 * the balance, holds left by the crash released (the sweeper closes the abandoned jobs), no corrupted rows.
 */
describe('crash recovery: kill -9 under load, then restart', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'saas-llm-crash-'));
  let dropDatabase: (() => Promise<void>) | null = null;
  after(async () => {
    await dropDatabase?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('money invariants hold after a hard crash', async () => {
    const postgres = await createFreshPostgresDatabase();
    dropDatabase = postgres?.drop ?? null;
    const env: NodeJS.ProcessEnv = {
      ...process.env, SAAS_LLM_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', SAAS_LLM_MASTER_KEY: MASTER_KEY, LOG_LEVEL: 'fatal',
      SAAS_LLM_JOB_TTL_SECONDS: '2', SAAS_LLM_SWEEP_INTERVAL_MS: '250',
    };
    if (postgres) env.DATABASE_URL = postgres.url; else delete env.DATABASE_URL;

    const first = await startServe(env);
    const demo = readDemoEnv(dataDir);
    const auth = { authorization: `Bearer ${demo.SAAS_VIRTUAL_KEY}`, 'content-type': 'application/json' };
    const post = (url: string, path: string, body: unknown) => fetch(`${url}${path}`, { method: 'POST', headers: auth, body: JSON.stringify(body) })
      .then(async (response) => ({ status: response.status, body: await response.json().catch(() => null) as any }));

    let crashed = false;
    let completedJobs = 0;
    const worker = async () => {
      while (!crashed) {
        try {
          const job = await post(first.url, '/api/jobs/create', { job_type: 'load' });
          if (job.status !== 200) continue;
          await post(first.url, `/api/jobs/${job.body.job_id}/llm-call`, { model_group: 'chat-fast', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 8 });
          const done = await post(first.url, `/api/jobs/${job.body.job_id}/complete`, { status: 'completed' });
          if (done.status === 200) completedJobs += 1;
        } catch {
          return; // the server died under us: that is the point of this test
        }
      }
    };
    const workers = Array.from({ length: 16 }, worker);
    while (completedJobs < 20) await new Promise((resolveWait) => setTimeout(resolveWait, 25));
    first.child.kill('SIGKILL');
    crashed = true;
    await Promise.all(workers);
    await first.exited();

    const second = await startServe(env);
    try {
      const admin = { 'x-admin-key': MASTER_KEY };
      let team: any;
      for (let tries = 0; tries < 200; tries += 1) {
        const open = await (await fetch(`${second.url}/api/admin/jobs?team_id=team-alpha&status=in_progress`, { headers: admin })).json() as any;
        const pending = await (await fetch(`${second.url}/api/admin/jobs?team_id=team-alpha&status=pending`, { headers: admin })).json() as any;
        team = await (await fetch(`${second.url}/api/teams/team-alpha`, { headers: admin })).json();
        if (open.jobs.length === 0 && pending.jobs.length === 0 && team.credits_reserved === 0) break;
        await new Promise((resolveWait) => setTimeout(resolveWait, 100));
      }
      assert.equal(team.credits_reserved, 0, 'every hold was released after the restart');
      const entries: any[] = [];
      let cursor: string | null = null;
      do {
        const page: any = await (await fetch(`${second.url}/api/credits/teams/team-alpha/transactions?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { headers: admin })).json();
        entries.push(...page.transactions);
        cursor = page.next_cursor;
      } while (cursor);
      const sum = entries.reduce((total, entry) => total + Math.round(entry.amount * 1e6), 0);
      assert.equal(sum, Math.round(team.credits_remaining * 1e6), 'the ledger sums to the balance');
      const deductions = entries.filter((entry) => entry.type === 'deduction').map((entry) => entry.job_id);
      assert.equal(new Set(deductions).size, deductions.length, 'no job charged twice');
      assert.ok(deductions.length >= completedJobs, `${deductions.length} charges for ${completedJobs} acknowledged completions`);
      assert.equal(team.credits_remaining, 1000 - deductions.length);
    } finally {
      await second.stop();
    }
  });
});
