import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFreshPostgresDatabase } from '@saas-llm/testkit';
import { readDemoEnv, startServe } from './helpers/serve-process.ts';
import { createTenant } from './helpers/tenant-factory.ts';
import type { TestGateway } from './helpers/test-gateway.ts';

const MASTER_KEY = 'mk-crash-test-0123456789abcdef';

/**
 * 06-quality.md, "Crash": `kill -9` under load, restart → no job charged twice, the ledger still sums to
 * the balance, holds left by the crash released (the sweeper closes the abandoned jobs), no corrupted rows.
 */
describe('crash recovery: kill -9 under load, then restart', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'saas-llm-crash-'));
  const journalDataDir = mkdtempSync(join(tmpdir(), 'saas-llm-journal-'));
  const drops: Array<() => Promise<void>> = [];
  after(async () => {
    for (const drop of drops) await drop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(journalDataDir, { recursive: true, force: true });
  });

  const serveEnv = async (dir: string): Promise<NodeJS.ProcessEnv> => {
    const postgres = await createFreshPostgresDatabase();
    if (postgres) drops.push(postgres.drop);
    const env: NodeJS.ProcessEnv = {
      ...process.env, SAAS_LLM_DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1', SAAS_LLM_MASTER_KEY: MASTER_KEY, LOG_LEVEL: 'fatal',
      SAAS_LLM_JOB_TTL_SECONDS: '2', SAAS_LLM_SWEEP_INTERVAL_MS: '250',
    };
    if (postgres) env.DATABASE_URL = postgres.url; else delete env.DATABASE_URL;
    return env;
  };

  test('money invariants hold after a hard crash', async () => {
    const env = await serveEnv(dataDir);

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

  /**
   * Records are written behind the answer (decision 010); the journal (decision 014) makes an answered call
   * survive the crash: every call a client got an answer for — whole JSON, or a stream through [DONE] — is
   * in its job after the restart, and none twice. Jobs stay open across the crash (their TTL is long here).
   */
  test('every answered call is recorded after a kill -9, exactly once', async () => {
    const env: NodeJS.ProcessEnv = { ...await serveEnv(journalDataDir), SAAS_LLM_JOB_TTL_SECONDS: '3600' };
    const first = await startServe(env);
    const demo = readDemoEnv(journalDataDir);
    // The demo team (job_based: no hold per call) and a team whose every call holds credits until settled.
    const admin: Pick<TestGateway, 'admin'> = {
      admin: async (path, init = {}) => {
        const response = await fetch(`${first.url}${path}`, {
          method: init.method ?? 'POST', headers: { 'x-admin-key': MASTER_KEY, 'content-type': 'application/json' }, body: JSON.stringify(init.body),
        });
        return { status: response.status, body: await response.json(), headers: response.headers };
      },
    };
    const holding = await createTenant(admin as TestGateway, { budgetMode: 'consumption_tokens', credits: 1000 });
    const teams: Array<{ auth: Record<string, string>; group: string; teamId: string }> = [
      { auth: { authorization: `Bearer ${demo.SAAS_VIRTUAL_KEY!}`, 'content-type': 'application/json' }, group: 'chat-fast', teamId: 'team-alpha' },
      { auth: { authorization: `Bearer ${holding.key}`, 'content-type': 'application/json' }, group: holding.group, teamId: holding.teamId },
    ];
    const jobs: Array<{ id: string; answered: number; started: number; team: typeof teams[number] }> = [];
    for (let index = 0; index < 12; index += 1) {
      const team = teams[index % 2]!;
      const response = await fetch(`${first.url}/api/jobs/create`, { method: 'POST', headers: team.auth, body: JSON.stringify({ job_type: 'journal' }) });
      jobs.push({ id: (await response.json() as any).job_id, answered: 0, started: 0, team });
    }
    const target = 400;
    let answered = 0;
    let crashed = false;
    const crashAt = (count: number) => {
      // Killed right as an answer arrives: the calls answered just before are still being written.
      if (count >= target && !crashed) { crashed = true; first.child.kill('SIGKILL'); }
    };
    const worker = async (job: typeof jobs[number], streaming: boolean) => {
      while (!crashed) {
        job.started += 1;
        try {
          const path = streaming ? 'llm-call-stream' : 'llm-call';
          const response = await fetch(`${first.url}/api/jobs/${job.id}/${path}`, {
            method: 'POST', headers: job.team.auth, body: JSON.stringify({ model_group: job.team.group, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 8 }),
          });
          const text = await response.text();
          if (response.status !== 200 || (streaming && !text.includes('data: [DONE]'))) continue;
          job.answered += 1;
          answered += 1;
          crashAt(answered);
        } catch {
          return;
        }
      }
    };
    await Promise.all(jobs.map((job, index) => worker(job, index % 3 === 2)));
    await first.exited();
    assert.ok(answered >= target, `${answered} calls answered before the crash`);

    const second = await startServe(env);
    try {
      let recordedTotal = 0;
      for (const job of jobs) {
        const view = await (await fetch(`${second.url}/api/jobs/${job.id}`, { headers: job.team.auth })).json() as any;
        recordedTotal += view.costs.total_calls;
        assert.ok(view.costs.total_calls >= job.answered, `job ${job.id}: ${view.costs.total_calls} recorded of ${job.answered} answered`);
        assert.ok(view.costs.total_calls <= job.started, `job ${job.id}: ${view.costs.total_calls} recorded of ${job.started} started (no call twice)`);
        if (!env.DATABASE_URL) assert.equal(view.costs.in_flight_calls, 0, 'on PGlite nothing is in flight after the restart');
      }
      assert.ok(recordedTotal >= answered);
      const journalFiles = readdirSync(join(journalDataDir, 'call-journal'));
      assert.ok(journalFiles.every((name) => name.startsWith(`${second.child.pid}-`)), `the crashed process's journal was replayed and removed: ${journalFiles.join(', ')}`);
      for (const job of jobs) {
        const done = await fetch(`${second.url}/api/jobs/${job.id}/complete`, { method: 'POST', headers: job.team.auth, body: JSON.stringify({ status: 'completed' }) });
        assert.equal(done.status, 200, await done.text());
      }
      const team = await (await fetch(`${second.url}/api/teams/${holding.teamId}`, { headers: { 'x-admin-key': MASTER_KEY } })).json() as any;
      assert.equal(team.credits_reserved, 0, 'no hold left once the jobs are complete');
      const ledger = await (await fetch(`${second.url}/api/credits/teams/${holding.teamId}/transactions?limit=500`, { headers: { 'x-admin-key': MASTER_KEY } })).json() as any;
      const sum = ledger.transactions.reduce((total: number, entry: any) => total + Math.round(entry.amount * 1e6), 0);
      assert.equal(sum, Math.round(team.credits_remaining * 1e6), 'the ledger sums to the balance');
    } finally {
      await second.stop();
    }
    const third = await startServe(env);
    try {
      assert.deepEqual(readdirSync(join(journalDataDir, 'call-journal')).filter((name) => !name.startsWith(`${third.child.pid}-`)), [], 'a clean stop leaves no journal behind');
    } finally {
      await third.stop();
    }
  });
});
