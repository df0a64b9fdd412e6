import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, type TestGateway } from './helpers/test-gateway.ts';
import { assertError, bearer, createTeam, uniqueId } from './helpers/tenancy-fixtures.ts';

interface LedgerRow { transaction_id: number; type: string; amount: number; balance_before: number; balance_after: number }

describe('credits', () => {
  let gateway: TestGateway;
  before(async () => { gateway = await startTestGateway(); });
  after(async () => { await gateway.close(); });

  const credits = (teamId: string, action: string, body?: unknown, method?: string) =>
    gateway.admin(`/api/credits/teams/${teamId}/${action}`, { ...(body !== undefined ? { body } : {}), ...(method ? { method } : {}) });

  /** The ledger of a team, oldest first, and its account row, read straight from the database. */
  async function ledgerOf(teamId: string): Promise<{ rows: LedgerRow[]; allocated: number; used: number; reserved: number }> {
    const rows = await gateway.container.db.query<LedgerRow>(
      'SELECT transaction_id, type, amount, balance_before, balance_after FROM credit_transactions WHERE team_id = $1 ORDER BY transaction_id', [teamId]);
    const team = await gateway.container.db.query<{ credits_allocated: number; credits_used: number; credits_reserved: number }>(
      'SELECT credits_allocated, credits_used, credits_reserved FROM teams WHERE team_id = $1', [teamId]);
    return { rows, allocated: team[0]!.credits_allocated, used: team[0]!.credits_used, reserved: team[0]!.credits_reserved };
  }

  /** sum(amount) = allocated − used, and each row continues where the previous one left off. */
  function assertLedgerConsistent(ledger: Awaited<ReturnType<typeof ledgerOf>>): void {
    const sum = ledger.rows.reduce((total, row) => total + row.amount, 0);
    assert.equal(sum, ledger.allocated - ledger.used, 'ledger sum differs from the balance');
    let balance = 0;
    for (const row of ledger.rows) {
      assert.equal(row.balance_before, balance, `row ${row.transaction_id} does not continue the chain`);
      assert.equal(row.balance_after, row.balance_before + row.amount);
      balance = row.balance_after;
    }
  }

  test('add, replenish and adjust write one ledger row each and move the balance', async () => {
    const team = await createTeam(gateway, { credits_allocated: 10 });
    const added = await credits(team.teamId, 'add', { credits: 5.25, reason: 'bonus' });
    assert.equal(added.status, 200);
    assert.equal(added.body.transaction.type, 'allocation');
    assert.equal(added.body.transaction.amount, 5.25);
    assert.equal(added.body.transaction.balance_before, 10);
    assert.equal(added.body.transaction.balance_after, 15.25);
    assert.equal(added.body.transaction.reason, 'bonus');
    assert.equal(added.body.transaction.actor, 'master_key');
    assert.equal(added.body.balance.credits_remaining, 15.25);

    const replenished = await credits(team.teamId, 'replenish', { credits: 100, payment_type: 'subscription', payment_amount_usd: 49.99 });
    assert.equal(replenished.status, 200);
    assert.equal(replenished.body.transaction.type, 'allocation');
    assert.equal(replenished.body.transaction.payment_type, 'subscription');
    assert.equal(replenished.body.transaction.payment_amount_usd, 49.99);
    assert.equal(replenished.body.balance.credits_allocated, 115.25);

    const down = await credits(team.teamId, 'adjust', { credits: -20.25, reason: 'refund to card' });
    assert.equal(down.status, 200);
    assert.equal(down.body.transaction.type, 'adjustment');
    assert.equal(down.body.transaction.amount, -20.25);
    assert.equal(down.body.balance.credits_remaining, 95);
    const up = await credits(team.teamId, 'adjust', { credits: 0.000001, reason: 'rounding' });
    assert.equal(up.body.balance.credits_remaining, 95.000001);

    const balance = await credits(team.teamId, 'balance');
    assert.equal(balance.status, 200);
    assert.equal(balance.body.credits_allocated, 95.000001);
    assert.equal(balance.body.credits_used, 0);
    assert.equal(balance.body.credits_available, 95.000001);
    assertLedgerConsistent(await ledgerOf(team.teamId));
  });

  test('malformed credit bodies are 400 naming the field; unknown teams are 404', async () => {
    const team = await createTeam(gateway);
    const cases: Array<[string, unknown, string]> = [
      ['add', { credits: 0 }, 'credits'],
      ['add', { credits: -1 }, 'credits'],
      ['add', { credits: '5' }, 'credits'],
      ['add', {}, 'credits'],
      ['add', { credits: 0.0000001 }, 'credits'],
      ['replenish', { credits: 5 }, 'payment_type'],
      ['replenish', { credits: 5, payment_type: 'gift' }, 'payment_type'],
      ['replenish', { credits: 5, payment_type: 'one_time', payment_amount_usd: -1 }, 'payment_amount_usd'],
      ['adjust', { credits: -5 }, 'reason'],
      ['adjust', { credits: 0, reason: 'nothing' }, 'credits'],
      ['adjust', { credits: 5e12, reason: 'too much' }, 'credits'],
      ['check', { credits_needed: -1 }, 'credits_needed'],
      ['configure-auto-refill', { refill_period: 'hourly' }, 'refill_period'],
      ['configure-auto-refill', { enabled: true }, 'refill_amount'],
    ];
    for (const [action, body, field] of cases) {
      const message = assertError(await credits(team.teamId, action, body), 400, 'invalid_request');
      assert.match(message, new RegExp(field), `${action} ${JSON.stringify(body)} → ${message}`);
    }
    assert.match(assertError(await credits(team.teamId, 'budget-mode', { budget_mode: 'free' }, 'PATCH'), 400, 'invalid_request'), /budget_mode/);
    assert.match(assertError(await credits(team.teamId, 'conversion-rates', { credits_per_dollar: 0 }, 'PATCH'), 400, 'invalid_request'), /credits_per_dollar/);
    assert.match(assertError(await credits(team.teamId, 'transactions?cursor=abc'), 400, 'invalid_request'), /cursor/);
    assert.match(assertError(await credits(team.teamId, 'transactions?limit=0'), 400, 'invalid_request'), /limit/);
    assert.match(assertError(await credits(team.teamId, 'transactions?type=gift'), 400, 'invalid_request'), /type/);
    const ghost = uniqueId('ghost');
    assertError(await credits(ghost, 'add', { credits: 1 }), 404, 'not_found');
    assertError(await credits(ghost, 'balance'), 404, 'not_found');
    assertError(await credits(ghost, 'transactions'), 404, 'not_found');
    assertError(await credits(ghost, 'budget-mode', { budget_mode: 'job_based' }, 'PATCH'), 404, 'not_found');
    assert.equal((await ledgerOf(team.teamId)).rows.length, 0);
  });

  test('available = remaining − reserved; a negative adjustment may not eat into reserved credits', async () => {
    const team = await createTeam(gateway, { credits_allocated: 10 });
    // Open work holds 4 credits (as the job pipeline's reservation would).
    await gateway.container.db.query('UPDATE teams SET credits_reserved = 4000000, credits_used = 1000000 WHERE team_id = $1', [team.teamId]);
    const balance = await credits(team.teamId, 'balance');
    assert.equal(balance.body.credits_remaining, 9);
    assert.equal(balance.body.credits_reserved, 4);
    assert.equal(balance.body.credits_available, 5);

    const refused = await credits(team.teamId, 'adjust', { credits: -6, reason: 'too far' });
    const message = assertError(refused, 409, 'conflict');
    assert.match(message, /reserved/);
    assert.equal(refused.body.error.credits_available, 5);
    assert.equal((await credits(team.teamId, 'balance')).body.credits_remaining, 9);
    const allowed = await credits(team.teamId, 'adjust', { credits: -5, reason: 'exactly the available part' });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.body.balance.credits_available, 0);
    assert.equal(allowed.body.balance.credits_remaining, 4);

    const check = await credits(team.teamId, 'check', { credits_needed: 1 });
    assert.deepEqual(check.body, { team_id: team.teamId, sufficient: false, credits_needed: 1, credits_available: 0, credits_remaining: 4 });
    await credits(team.teamId, 'add', { credits: 2 });
    assert.equal((await credits(team.teamId, 'check', { credits_needed: 2 })).body.sufficient, true);
    assert.equal((await credits(team.teamId, 'check', { credits_needed: 2.5 })).body.sufficient, false);
    // The Python original's query form, and the default of one credit.
    assert.equal((await gateway.admin(`/api/credits/teams/${team.teamId}/check?credits_needed=3`, { method: 'POST' })).body.sufficient, false);
    assert.equal((await gateway.admin(`/api/credits/teams/${team.teamId}/check`, { method: 'POST' })).body.credits_needed, 1);
  });

  test('budget mode, conversion rates and auto-refill settings', async () => {
    const team = await createTeam(gateway);
    const mode = await credits(team.teamId, 'budget-mode', { budget_mode: 'consumption_tokens', failed_job_policy: 'consumption' }, 'PATCH');
    assert.equal(mode.status, 200);
    assert.equal(mode.body.budget_mode, 'consumption_tokens');
    assert.equal(mode.body.failed_job_policy, 'consumption');
    assert.equal((await gateway.admin(`/api/teams/${team.teamId}`)).body.budget_mode, 'consumption_tokens');

    const rates = await credits(team.teamId, 'conversion-rates');
    assert.deepEqual(rates.body, { team_id: team.teamId, credits_per_dollar: 10, tokens_per_credit: 10000 });
    const changed = await credits(team.teamId, 'conversion-rates', { credits_per_dollar: 2.5 }, 'PATCH');
    assert.deepEqual(changed.body, { team_id: team.teamId, credits_per_dollar: 2.5, tokens_per_credit: 10000 });
    const both = await credits(team.teamId, 'conversion-rates', { tokens_per_credit: 800 }, 'PATCH');
    assert.deepEqual(both.body, { team_id: team.teamId, credits_per_dollar: 2.5, tokens_per_credit: 800 });

    const refill = await credits(team.teamId, 'configure-auto-refill', { enabled: true, refill_amount: 50, refill_period: 'monthly' });
    assert.equal(refill.status, 200);
    assert.deepEqual(refill.body.auto_refill, { enabled: true, refill_amount: 50, refill_period: 'monthly' });
    const off = await credits(team.teamId, 'configure-auto-refill', { enabled: false });
    assert.deepEqual(off.body.auto_refill, { enabled: false, refill_amount: 50, refill_period: 'monthly' });
    assert.deepEqual((await gateway.admin(`/api/teams/${team.teamId}`)).body.auto_refill, { enabled: false, refill_amount: 50, refill_period: 'monthly' });
  });

  test('auto-refill tops a team up exactly once per period, even when runs race', async () => {
    const team = await createTeam(gateway, { credits_allocated: 1 });
    await credits(team.teamId, 'configure-auto-refill', { enabled: true, refill_amount: 25, refill_period: 'daily' });
    const now = new Date();
    await Promise.all([gateway.container.credits.runAutoRefills(now), gateway.container.credits.runAutoRefills(now), gateway.container.credits.runAutoRefills(now)]);
    await gateway.container.credits.runAutoRefills(now);
    const ledger = await ledgerOf(team.teamId);
    assert.deepEqual(ledger.rows.map((row) => row.type), ['allocation', 'auto_refill']);
    assert.equal((await credits(team.teamId, 'balance')).body.credits_remaining, 26);
    await gateway.container.credits.runAutoRefills(new Date(now.getTime() + 24 * 3600 * 1000));
    assert.equal((await credits(team.teamId, 'balance')).body.credits_remaining, 51);
    assertLedgerConsistent(await ledgerOf(team.teamId));
  });

  test('transactions: newest first, cursor pages cover everything once, type filter', async () => {
    const team = await createTeam(gateway, { credits_allocated: 1 });
    for (let index = 1; index <= 6; index += 1) await credits(team.teamId, 'add', { credits: index });
    await credits(team.teamId, 'adjust', { credits: -2, reason: 'fix' });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { status: number; body: any } = await credits(team.teamId, `transactions?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(page.status, 200);
      seen.push(...page.body.transactions.map((entry: any) => entry.transaction_id));
      cursor = page.body.next_cursor;
      pages += 1;
    } while (cursor && pages < 10);
    assert.equal(pages, 3);
    assert.equal(seen.length, 8);
    assert.equal(new Set(seen).size, 8);
    assert.deepEqual(seen, [...seen].sort((a, b) => Number(b) - Number(a)));
    const adjustments = await credits(team.teamId, 'transactions?type=adjustment');
    assert.deepEqual(adjustments.body.transactions.map((entry: any) => entry.amount), [-2]);
    assert.equal(adjustments.body.next_cursor, null);
  });

  test('the ledger sums to the balance after 50 concurrent mixed changes', async () => {
    const team = await createTeam(gateway, { credits_allocated: 5 });
    const requests = Array.from({ length: 50 }, (_, index) => {
      switch (index % 3) {
        case 0: return credits(team.teamId, 'add', { credits: 1.5, reason: `add ${index}` });
        case 1: return credits(team.teamId, 'replenish', { credits: 2, payment_type: 'one_time', payment_amount_usd: 1 });
        default: return credits(team.teamId, 'adjust', { credits: -4, reason: `take ${index}` });
      }
    });
    const responses = await Promise.all(requests);
    for (const response of responses) assert.ok(response.status === 200 || response.status === 409, JSON.stringify(response.body));
    const applied = responses.filter((response) => response.status === 200);
    assert.ok(applied.length >= 34, `only ${applied.length} applied`); // every add and replenish
    const expectedMicro = 5_000_000 + applied.reduce((sum, response) => sum + Math.round(response.body.transaction.amount * 1e6), 0);
    const ledger = await ledgerOf(team.teamId);
    assert.equal(ledger.rows.length, 1 + applied.length);
    assert.equal(ledger.allocated - ledger.used, expectedMicro);
    assertLedgerConsistent(ledger);
    assert.ok(ledger.allocated - ledger.used >= ledger.reserved);
    const balance = await credits(team.teamId, 'balance');
    assert.equal(Math.round(balance.body.credits_remaining * 1e6), expectedMicro);
  });

  test("a team's key reads its own balance, ledger and check, and nothing else", async () => {
    const mine = await createTeam(gateway, { credits_allocated: 7 });
    const theirs = await createTeam(gateway, { credits_allocated: 3 });
    const asMine = (path: string, init: { method?: string; body?: unknown } = {}) => gateway.request(path, { ...init, headers: bearer(mine.key) });
    const balance = await asMine(`/api/credits/teams/${mine.teamId}/balance`);
    assert.equal(balance.status, 200);
    assert.equal(balance.body.credits_remaining, 7);
    const ledger = await asMine(`/api/credits/teams/${mine.teamId}/transactions`);
    assert.equal(ledger.status, 200);
    assert.equal(ledger.body.transactions[0].amount, 7);
    const check = await asMine(`/api/credits/teams/${mine.teamId}/check`, { body: { credits_needed: 8 } });
    assert.equal(check.status, 200);
    assert.equal(check.body.sufficient, false);
    assert.equal(check.body.credits_available, 7);

    assertError(await asMine(`/api/credits/teams/${theirs.teamId}/balance`), 403, 'team_mismatch');
    assertError(await asMine(`/api/credits/teams/${theirs.teamId}/transactions`), 403, 'team_mismatch');
    assertError(await asMine(`/api/credits/teams/${theirs.teamId}/check`, { body: { credits_needed: 1 } }), 403, 'team_mismatch');
    assertError(await asMine(`/api/credits/teams/${mine.teamId}/add`, { body: { credits: 100 } }), 401, 'invalid_api_key');
    assert.equal((await credits(mine.teamId, 'balance')).body.credits_remaining, 7);
  });
});
