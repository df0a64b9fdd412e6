import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CallWriteQueue } from '../src/storage/call-write-queue.ts';
import { admission, settlement } from './helpers/call-items.ts';
import { seedJob } from './helpers/tenancy-fixtures.ts';
import { createTenant, ledgerState } from './helpers/tenant-factory.ts';
import { startTestGateway, type TestGateway } from './helpers/test-gateway.ts';

// The batched admission and settlement statements (decision 010), driven directly against the real
// database: many calls in one batch, refusals with their reasons, a failing element isolated from its
// batch, a repeated settlement counted once, and the read barrier.

let gateway: TestGateway;
before(async () => { gateway = await startTestGateway(); });
after(async () => { await gateway.close(); });

async function openJob(teamId: string, fields: { maxCalls?: number } = {}): Promise<string> {
  const jobId = await seedJob(gateway, teamId, { status: 'pending', calls: 0 });
  if (fields.maxCalls) await gateway.database.query('UPDATE jobs SET max_calls = $2 WHERE job_id = $1', [jobId, fields.maxCalls]);
  return jobId;
}

test('one batch of 50 admissions against a balance for 20 holds: the first 20 admitted, the rest refused with the balance, nothing leaked', async () => {
  const tenant = await createTenant(gateway, { credits: 20, budgetMode: 'consumption_usd' });
  const jobId = await openJob(tenant.teamId);
  const queue = new CallWriteQueue(gateway.database, 3600);
  const items = Array.from({ length: 50 }, () => admission(jobId, tenant.teamId, 1_000_000));
  const verdicts = await Promise.all(items.map((item) => queue.admit(item)));
  assert.deepEqual(verdicts.slice(0, 20).map((verdict) => verdict.kind), Array(20).fill('admitted'));
  for (const verdict of verdicts.slice(20)) assert.deepEqual(verdict, { kind: 'insufficient_credits', available_micro: 0 });
  const state = await ledgerState(gateway, tenant.teamId);
  assert.equal(state.reservedMicro, 20_000_000);
  assert.equal(state.heldReservations, 20);
  const [job] = await gateway.database.query<{ in_flight_calls: number; status: string }>('SELECT in_flight_calls, status FROM jobs WHERE job_id = $1', [jobId]);
  assert.deepEqual(job, { in_flight_calls: 20, status: 'in_progress' });

  // Settling all 20 shrinks each hold to its actual cost; the job's counters return to zero in flight.
  await Promise.all(items.slice(0, 20).map((item) => queue.settle(settlement(item, 250_000))));
  const settled = await ledgerState(gateway, tenant.teamId);
  assert.equal(settled.reservedMicro, 20 * 250_000);
  assert.equal(settled.heldMicro, 20 * 250_000);
  const [totals] = await gateway.database.query<{ in_flight_calls: number; total_calls: number; pending_cost_nanos: number; total_tokens: number }>(
    'SELECT in_flight_calls, total_calls, pending_cost_nanos, total_tokens FROM jobs WHERE job_id = $1', [jobId]);
  assert.deepEqual(totals, { in_flight_calls: 0, total_calls: 20, pending_cost_nanos: 0, total_tokens: 140 });
});

test('refusals name their reason: unknown job, another team\'s job, closed job, max_calls', async () => {
  const tenant = await createTenant(gateway, { credits: 10, budgetMode: 'job_based' });
  const other = await createTenant(gateway, { credits: 10, budgetMode: 'job_based' });
  const queue = new CallWriteQueue(gateway.database, 3600);
  const open = await openJob(tenant.teamId, { maxCalls: 2 });
  const closed = await seedJob(gateway, tenant.teamId, { status: 'completed' });
  const verdicts = await Promise.all([
    queue.admit(admission(crypto.randomUUID(), tenant.teamId, 0)),
    queue.admit(admission(open, other.teamId, 0)),
    queue.admit(admission(closed, tenant.teamId, 0)),
    queue.admit(admission(open, tenant.teamId, 0)),
    queue.admit(admission(open, tenant.teamId, 0)),
    queue.admit(admission(open, tenant.teamId, 0)),
  ]);
  assert.deepEqual(verdicts, [
    { kind: 'job_not_found' }, { kind: 'job_not_found' }, { kind: 'job_closed', status: 'completed' },
    { kind: 'admitted' }, { kind: 'admitted' }, { kind: 'max_calls', max_calls: 2 },
  ]);
});

test('a settlement that cannot be written fails alone; its batch is written; a repeated settlement counts once', async () => {
  const tenant = await createTenant(gateway, { credits: 10, budgetMode: 'consumption_tokens' });
  const jobId = await openJob(tenant.teamId);
  const errors: string[] = [];
  const queue = new CallWriteQueue(gateway.database, 3600, { error: (_details, message) => errors.push(message) }, [10]);
  const items = Array.from({ length: 6 }, () => admission(jobId, tenant.teamId, 100_000));
  for (const verdict of await Promise.all(items.map((item) => queue.admit(item)))) assert.equal(verdict.kind, 'admitted');

  const poison = settlement(admission(crypto.randomUUID(), tenant.teamId, 0), 0); // a job that does not exist: foreign key violation
  const outcomes = await Promise.allSettled([
    ...items.map((item) => queue.settle(settlement(item, 40_000))),
    queue.settle(poison),
    queue.settle(settlement(items[0]!, 40_000)),
  ]);
  assert.deepEqual(outcomes.map((outcome) => outcome.status), [...Array(6).fill('fulfilled'), 'rejected', 'fulfilled']);
  assert.deepEqual(errors, ['call settlement failed after retries; its hold is released when it expires']);
  const [job] = await gateway.database.query<{ total_calls: number; in_flight_calls: number }>('SELECT total_calls, in_flight_calls FROM jobs WHERE job_id = $1', [jobId]);
  assert.deepEqual(job, { total_calls: 6, in_flight_calls: 0 });
  const [calls] = await gateway.database.query<{ count: number }>('SELECT count(*)::int AS count FROM calls WHERE job_id = $1', [jobId]);
  assert.equal(calls!.count, 6);
  assert.equal((await ledgerState(gateway, tenant.teamId)).reservedMicro, 6 * 40_000);
});

test('settled() is null when idle and resolves only after every queued settlement is written', async () => {
  const tenant = await createTenant(gateway, { credits: 10, budgetMode: 'job_based' });
  const jobId = await openJob(tenant.teamId);
  const queue = new CallWriteQueue(gateway.database, 3600);
  assert.equal(queue.settled(), null);
  const items = Array.from({ length: 30 }, () => admission(jobId, tenant.teamId, 0));
  await Promise.all(items.map((item) => queue.admit(item)));
  for (const item of items) void queue.settle(settlement(item, 0));
  const barrier = queue.settled();
  assert.ok(barrier);
  await barrier;
  const [job] = await gateway.database.query<{ total_calls: number }>('SELECT total_calls FROM jobs WHERE job_id = $1', [jobId]);
  assert.equal(job!.total_calls, 30);
  assert.equal(queue.settled(), null);
});

test('one batch of settlements on one job: metadata merged in call order (the last call wins a key), model groups in first-use order, failed calls add no metadata', async () => {
  const tenant = await createTenant(gateway, { credits: 10, budgetMode: 'job_based' });
  const jobId = await openJob(tenant.teamId);
  const queue = new CallWriteQueue(gateway.database, 3600);
  const items = Array.from({ length: 4 }, () => admission(jobId, tenant.teamId, 0));
  await Promise.all(items.map((item) => queue.admit(item)));
  const settlements = items.map((item) => settlement(item, 0));
  settlements[0]!.model_group = 'beta';
  settlements[0]!.metadata = { step: 1, first: true };
  settlements[1]!.model_group = 'alpha';
  settlements[1]!.metadata = { step: 2 };
  settlements[2]!.model_group = 'beta';
  settlements[2]!.succeeded = false;
  settlements[2]!.call.status = 'failed';
  settlements[2]!.metadata = { step: 'failed call' };
  settlements[3]!.model_group = 'gamma';
  await Promise.all(settlements.map((item) => queue.settle(item)));
  const [job] = await gateway.database.query<{ metadata: Record<string, unknown>; model_groups_used: string[]; successful_calls: number; failed_calls: number }>(
    'SELECT metadata, model_groups_used, successful_calls, failed_calls FROM jobs WHERE job_id = $1', [jobId]);
  assert.deepEqual(job, { metadata: { step: 2, first: true }, model_groups_used: ['beta', 'alpha', 'gamma'], successful_calls: 3, failed_calls: 1 });
});

test('call, attempt and hold rows must name existing parents (checked once per statement, migration 0004): 23503 as a foreign key', async () => {
  const tenant = await createTenant(gateway, { credits: 5, budgetMode: 'consumption_usd' });
  const other = await createTenant(gateway, { credits: 5 });
  const jobId = await openJob(tenant.teamId);
  const violation = { code: '23503' };
  const insertCall = (job: string, team: string) => gateway.database.query(
    `INSERT INTO calls (call_id, job_id, team_id, requested_model) VALUES ($1, $2, $3, 'm')`, [crypto.randomUUID(), job, team]);
  await assert.rejects(insertCall(crypto.randomUUID(), tenant.teamId), violation, 'no such job');
  await assert.rejects(insertCall(jobId, other.teamId), violation, 'a job of another team');
  await assert.rejects(gateway.database.query(
    `INSERT INTO call_attempts (call_id, attempt_number, deployment_alias, provider, status, latency_ms, started_at) VALUES ($1, 1, 'd', 'mock', 'succeeded', 1, now())`,
    [crypto.randomUUID()]), violation, 'an attempt of no call');
  const insertHold = (job: string | null, team: string) => gateway.database.query(
    `INSERT INTO reservations (reservation_id, team_id, job_id, amount, expires_at) VALUES ($1, $2, $3, 1, now() + interval '1 hour')`, [crypto.randomUUID(), team, job]);
  await assert.rejects(insertHold(crypto.randomUUID(), tenant.teamId), violation, 'a hold of no job');
  await assert.rejects(insertHold(null, 'no-such-team'), violation, 'a hold of no team');
  await assert.rejects(insertHold(jobId, other.teamId), violation, 'a hold of a job of another team');
  // A whole batch fails on one bad element; the queue then writes the others one by one (decision 010).
  const queue = new CallWriteQueue(gateway.database, 3600, undefined, []);
  const good = admission(jobId, tenant.teamId, 0);
  const bad = { ...admission(jobId, tenant.teamId, 0), job_id: crypto.randomUUID() };
  await queue.admit(good);
  const results = await Promise.allSettled([queue.settle(settlement(good, 0)), queue.settle(settlement(bad, 0))]);
  assert.equal(results[0].status, 'fulfilled');
  assert.equal(results[1].status, 'rejected');
  const rows = await gateway.database.query('SELECT call_id FROM calls WHERE job_id = $1', [jobId]);
  assert.equal(rows.length, 1);
});
