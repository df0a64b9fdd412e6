import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LocalCallAccounting, MAX_UNWRITTEN_DECISIONS } from '../src/storage/local-call-accounting.ts';
import { admission, settlement } from './helpers/call-items.ts';
import { seedJob } from './helpers/tenancy-fixtures.ts';
import { createTenant, ledgerState } from './helpers/tenant-factory.ts';
import { startTestGateway, type TestGateway } from './helpers/test-gateway.ts';

// Accounting decided in memory on embedded PGlite (decision 012): an admission decides without a
// database round, decisions race credit changes and job completions without overspending, and what the
// ledger holds in memory is what the database holds once written. PostgreSQL decides in the database
// (covered by the accounting tests on both databases), so this file runs on PGlite only.

let gateway: TestGateway;
let onPglite = false;
before(async () => {
  gateway = await startTestGateway();
  onPglite = gateway.database.dialect === 'pglite';
});
after(async () => { await gateway.close(); });

const ask = (text: string, maxTokens = 25_000) => ({ messages: [{ role: 'user', content: text }], max_tokens: maxTokens });

function accounting(): LocalCallAccounting {
  const local = LocalCallAccounting.of(gateway.database);
  assert.ok(local, 'PGlite has its accounting in memory');
  return local;
}

/** Every job and team the ledger knows, against the database's rows (after every decision is written). */
async function assertLedgerMatchesDatabase(jobIds: string[], teamId: string): Promise<void> {
  await gateway.container.calls.settled();
  const ledger = accounting().ledger;
  for (const jobId of jobIds) {
    const known = ledger.job(jobId);
    if (!known) continue;
    const [row] = await gateway.database.query<{ status: string; calls: number; spent: number }>(
      'SELECT status, total_calls + in_flight_calls AS calls, client_cost_nanos + pending_cost_nanos AS spent FROM jobs WHERE job_id = $1', [jobId]);
    assert.deepEqual({ status: known.status, calls: known.calls, spent: known.spentNanos }, row, `job ${jobId}`);
  }
  const available = ledger.available(teamId);
  if (available !== undefined) {
    const [row] = await gateway.database.query<{ available: number }>('SELECT credits_allocated - credits_used - credits_reserved AS available FROM teams WHERE team_id = $1', [teamId]);
    assert.equal(available, row!.available, 'team available credits');
  }
}

describe('call accounting decided in memory (PGlite)', () => {
  test('an admission on a known job is decided while the database is busy with something else', async (t) => {
    if (!onPglite) return t.skip('PostgreSQL decides in the database');
    const tenant = await createTenant(gateway, { credits: 100, budgetMode: 'consumption_usd' });
    const job = await gateway.request('/api/jobs/create', { headers: tenant.auth, body: { job_type: 'busy' } });
    const warm = await gateway.request(`/api/jobs/${job.body.job_id}/llm-call`, { headers: tenant.auth, body: { model: tenant.group, ...ask('warm') } });
    assert.equal(warm.status, 200, JSON.stringify(warm.body));
    await gateway.container.calls.settled();
    const before = await ledgerState(gateway, tenant.teamId);

    // The database thread is held for 400 ms; the admission must not need it.
    let sleeping = true;
    const sleep = gateway.database.query('SELECT pg_sleep(0.4)').finally(() => { sleeping = false; });
    const started = performance.now();
    const outcome = await gateway.container.calls.admit({ callId: crypto.randomUUID(), jobId: job.body.job_id, teamId: tenant.teamId, worstCostNanos: 1000, holdMicro: 10_000 });
    const waitedMs = performance.now() - started;
    assert.equal(outcome.kind, 'admitted');
    assert.ok(sleeping, 'decided before the database was free again');
    assert.ok(waitedMs < 100, `admission took ${waitedMs.toFixed(1)} ms`);
    await sleep;
    // Written behind: the hold is in the database once the queue has run.
    await gateway.container.calls.settled();
    const state = await ledgerState(gateway, tenant.teamId);
    assert.equal(state.heldReservations, before.heldReservations + 1);
    assert.equal(state.reservedMicro, before.reservedMicro + 10_000);
  });

  test('a job closed while its row is being loaded: the admission waits for the close and is refused', async (t) => {
    if (!onPglite) return t.skip('PostgreSQL decides in the database');
    const tenant = await createTenant(gateway, { credits: 10, budgetMode: 'consumption_usd' });
    const job = await gateway.request('/api/jobs/create', { headers: tenant.auth, body: { job_type: 'race' } });
    const jobId = job.body.job_id as string;
    assert.equal(accounting().ledger.hasJob(jobId), false);
    const admission = gateway.container.calls.admit({ callId: crypto.randomUUID(), jobId, teamId: tenant.teamId, worstCostNanos: 1000, holdMicro: 10_000 });
    const closed = await gateway.container.jobStore.close(jobId, 'completed', {}, () => 0, 'test');
    assert.equal(closed.kind, 'closed');
    assert.deepEqual(await admission, { kind: 'job_closed', status: 'completed' });
    const state = await ledgerState(gateway, tenant.teamId);
    assert.equal(state.reservedMicro, 0);
    assert.equal(state.heldReservations, 0);
  });

  test('a call admitted and settled in one statement ends as one written in two: holds, team and job the same', async (t) => {
    if (!onPglite) return t.skip('PostgreSQL decides in the database');
    const local = accounting();
    const endState = async (together: boolean) => {
      const tenant = await createTenant(gateway, { credits: 50, budgetMode: 'consumption_usd' });
      const jobId = await seedJob(gateway, tenant.teamId, { status: 'pending', calls: 0 });
      const items = Array.from({ length: 20 }, (_, index) => admission(jobId, tenant.teamId, 1_000_000 + index));
      // Together: every settlement queued in the same turn as the admissions, so one round carries both.
      const admitted = await Promise.all(items.map((item) => local.admit(item)));
      assert.ok(admitted.every((verdict) => verdict.kind === 'admitted'));
      if (!together) await gateway.container.calls.settled();
      // Half shrink their hold, half grow it (an upstream that overran its worst case).
      await Promise.all(items.map((item, index) => local.settle(settlement(item, index % 2 ? 250_000 : 1_500_000))));
      await assertLedgerMatchesDatabase([jobId], tenant.teamId);
      const state = await ledgerState(gateway, tenant.teamId);
      const [job] = await gateway.database.query<{ in_flight_calls: number; total_calls: number; pending_cost_nanos: number; status: string }>(
        'SELECT in_flight_calls, total_calls, pending_cost_nanos, status FROM jobs WHERE job_id = $1', [jobId]);
      const holds = await gateway.database.query<{ amount: number }>(`SELECT amount FROM reservations WHERE job_id = $1 AND status = 'held' ORDER BY amount`, [jobId]);
      return { reserved: state.reservedMicro, held: state.heldMicro, job, holds: holds.map((hold) => hold.amount) };
    };
    const apart = await endState(false);
    const together = await endState(true);
    assert.deepEqual(together, apart);
    assert.deepEqual(apart.job, { in_flight_calls: 0, total_calls: 20, pending_cost_nanos: 0, status: 'in_progress' });
    assert.equal(apart.reserved, 10 * 250_000 + 10 * 1_500_000);
  });

  test('decisions wait once too many are unwritten, and go on as the database catches up', async (t) => {
    if (!onPglite) return t.skip('PostgreSQL decides in the database');
    const local = accounting();
    const tenant = await createTenant(gateway, { credits: 10 });
    const jobId = await seedJob(gateway, tenant.teamId, { status: 'pending', calls: 0 });
    await local.admit(admission(jobId, tenant.teamId, 0));
    await gateway.container.calls.settled();
    let sleeping = true;
    const sleep = gateway.database.query('SELECT pg_sleep(0.5)').finally(() => { sleeping = false; });
    let decidedWhileBusy = 0;
    const verdicts = Array.from({ length: MAX_UNWRITTEN_DECISIONS + 100 }, () => local.admit(admission(jobId, tenant.teamId, 0)).then((verdict) => {
      if (sleeping) decidedWhileBusy += 1;
      return verdict;
    }));
    const all = await Promise.all(verdicts);
    await sleep;
    assert.ok(all.every((verdict) => verdict.kind === 'admitted'));
    assert.equal(decidedWhileBusy, MAX_UNWRITTEN_DECISIONS, 'as many decided as may wait unwritten; the rest waited for the database');
    await gateway.container.calls.settled();
    const [job] = await gateway.database.query<{ in_flight_calls: number }>('SELECT in_flight_calls FROM jobs WHERE job_id = $1', [jobId]);
    assert.equal(job!.in_flight_calls, MAX_UNWRITTEN_DECISIONS + 101);
  });

  test('a settlement that must reload its team first still holds back reads until it is written', async (t) => {
    if (!onPglite) return t.skip('PostgreSQL decides in the database');
    const local = accounting();
    const tenant = await createTenant(gateway, { credits: 20, budgetMode: 'consumption_usd' });
    const jobId = await seedJob(gateway, tenant.teamId, { status: 'pending', calls: 0 });
    const item = admission(jobId, tenant.teamId, 1_000_000);
    assert.equal((await local.admit(item)).kind, 'admitted');
    // A credit grant while the call runs: the ledger forgets the team and the call's hold.
    const granted = await gateway.admin(`/api/credits/teams/${tenant.teamId}/add`, { body: { credits: 5, reason: 'top-up' } });
    assert.equal(granted.status, 200, JSON.stringify(granted.body));
    assert.equal(local.ledger.hasTeam(tenant.teamId), false);
    const written = local.settle(settlement(item, 400_000));
    const barrier = gateway.container.calls.settled();
    assert.ok(barrier, 'the read barrier counts a settlement still being decided');
    await barrier;
    const [recorded] = await gateway.database.query<{ count: number }>('SELECT count(*)::int AS count FROM calls WHERE call_id = $1', [item.call_id]);
    assert.equal(recorded!.count, 1);
    await written;
    await assertLedgerMatchesDatabase([jobId], tenant.teamId);
    const state = await ledgerState(gateway, tenant.teamId);
    assert.equal(state.reservedMicro, 400_000);
  });

  test('parallel calls racing credit deductions and job completions: no overspend, no leak, the ledger equals the database', async (t) => {
    if (!onPglite) return t.skip('PostgreSQL decides in the database');
    // Each job holds its minimum charge (1 credit) and each call its worst case (25,000 output tokens at
    // $2/M × 10 credits/$ = 0.5 credit): 6 credits leave room for 4 calls at once, which deductions race.
    // The upstream answers after 30 ms, so calls overlap and their holds compete.
    const tenant = await createTenant(gateway, { credits: 6, budgetMode: 'consumption_usd', deployments: [{ settings: { ttft_ms: 30 } }] });
    const jobs = await Promise.all(Array.from({ length: 4 }, () => gateway.request('/api/jobs/create', { headers: tenant.auth, body: { job_type: 'race' } })));
    for (const job of jobs) assert.equal(job.status, 200, JSON.stringify(job.body));
    const jobIds = jobs.map((job) => job.body.job_id as string);
    const calls = Array.from({ length: 48 }, (_, index) =>
      gateway.request(`/api/jobs/${jobIds[index % 4]}/llm-call`, { headers: tenant.auth, body: { model: tenant.group, ...ask(`call ${index}`) } }));
    const deductions = Array.from({ length: 3 }, (_, index) =>
      new Promise((resolve) => setTimeout(resolve, 10 * index)).then(() => gateway.admin(`/api/credits/teams/${tenant.teamId}/adjust`, { body: { credits: -0.5, reason: 'race' } })));
    const results = await Promise.all(calls);
    const deducted = await Promise.all(deductions);
    for (const result of results) assert.ok(result.status === 200 || result.status === 402, `${result.status} ${JSON.stringify(result.body)}`);
    for (const result of deducted) assert.ok(result.status === 200 || result.status === 409 || result.status === 400, `${result.status} ${JSON.stringify(result.body)}`);
    assert.ok(results.some((result) => result.status === 200));
    assert.ok(results.some((result) => result.status === 402), 'the holds competed: some calls found no credits');
    await assertLedgerMatchesDatabase(jobIds, tenant.teamId);

    // Balance never negative while calls hold credits; after the jobs close nothing stays held.
    const during = await ledgerState(gateway, tenant.teamId);
    assert.ok(during.remainingMicro - during.reservedMicro >= 0, JSON.stringify(during));
    const completions = await Promise.all(jobIds.map((jobId) => gateway.request(`/api/jobs/${jobId}/complete`, { headers: tenant.auth, body: { status: 'completed' } })));
    for (const completion of completions) assert.equal(completion.status, 200, JSON.stringify(completion.body));
    const state = await ledgerState(gateway, tenant.teamId);
    assert.ok(state.remainingMicro >= 0, JSON.stringify(state));
    assert.equal(state.reservedMicro, 0);
    assert.equal(state.heldReservations, 0);
    assert.equal(state.ledgerSumMicro, state.remainingMicro, 'the ledger sums to the balance');
    const [recorded] = await gateway.database.query<{ calls: number }>('SELECT count(*)::int AS calls FROM calls WHERE job_id = ANY($1::uuid[])', [jobIds]);
    assert.equal(recorded!.calls, results.filter((result) => result.status === 200).length, 'every answered call recorded once');
    const [totals] = await gateway.database.query<{ calls: number; in_flight: number }>(
      'SELECT sum(total_calls)::int AS calls, sum(in_flight_calls)::int AS in_flight FROM jobs WHERE job_id = ANY($1::uuid[])', [jobIds]);
    assert.deepEqual(totals, { calls: recorded!.calls, in_flight: 0 });
  });
});
