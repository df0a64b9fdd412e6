import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CachingKeyAuthenticator, type ActiveKey, type ActiveKeyLookup } from './virtual-key-authenticator.ts';
import { generateVirtualKey, hashVirtualKey } from './virtual-keys.ts';

/** An in-memory key table whose lookups can be held open, counting every database round trip. */
class KeyTable implements ActiveKeyLookup {
  readonly rows = new Map<string, ActiveKey>();
  lookups = 0;
  uses: Array<ReadonlyMap<string, Date>> = [];
  private gate: Promise<void> | null = null;
  private openGate: (() => void) | null = null;

  add(rawKey: string, teamId: string, expiresAt: Date | null = null): ActiveKey {
    const active: ActiveKey = {
      key: { keyId: crypto.randomUUID(), teamId, name: 'k', prefix: rawKey.slice(0, 12), rpmLimit: null, tpmLimit: null, allowedModelGroups: null },
      expiresAt,
    };
    this.rows.set(hashVirtualKey(rawKey), active);
    return active;
  }

  /** Lookups issued from now on wait until `release()`. */
  hold(): void {
    this.gate = new Promise((resolve) => { this.openGate = resolve; });
  }

  release(): void {
    this.openGate?.();
    this.gate = null;
  }

  async findActiveByHash(keyHash: string): Promise<ActiveKey | null> {
    this.lookups += 1;
    // The database read happens now; a held gate only delays its answer.
    const found = this.rows.get(keyHash) ?? null;
    if (this.gate) await this.gate;
    return found;
  }

  async recordUse(lastUsed: ReadonlyMap<string, Date>): Promise<void> {
    this.uses.push(lastUsed);
  }
}

function setup(options: { ttlMs?: number } = {}) {
  const table = new KeyTable();
  const clock = { now: 1_000_000 };
  const errors: unknown[] = [];
  const authenticator = new CachingKeyAuthenticator(table, {
    ...options, now: () => clock.now, touchFlushMs: 60_000, onBackgroundError: (error) => errors.push(error),
  });
  return { table, clock, errors, authenticator };
}

const flushMicrotasks = () => new Promise((resolve) => setImmediate(resolve));

describe('CachingKeyAuthenticator', () => {
  test('answers from memory within the TTL and refreshes ahead without making the request wait', async () => {
    const { table, clock, authenticator } = setup();
    const raw = generateVirtualKey().rawKey;
    const row = table.add(raw, 'team-a');
    assert.deepEqual(await authenticator.authenticate(raw), row.key);
    assert.equal(table.lookups, 1);
    clock.now += 400;
    assert.deepEqual(await authenticator.authenticate(raw), row.key);
    assert.equal(table.lookups, 1, 'a young entry needs no lookup');

    clock.now += 200; // past half the TTL: served from memory, refreshed in the background
    table.hold();
    assert.deepEqual(await authenticator.authenticate(raw), row.key);
    assert.equal(table.lookups, 2);
    assert.deepEqual(await authenticator.authenticate(raw), row.key);
    assert.equal(table.lookups, 2, 'one refresh at a time');
    table.release();
    await flushMicrotasks();

    clock.now += 700; // 1.3 s after the first lookup, 0.7 s after the refresh was issued
    assert.deepEqual(await authenticator.authenticate(raw), row.key);
    assert.equal(table.lookups, 3); // past half again: another background refresh
  });

  test('never trusts an entry older than the TTL, which is capped at 1 s', async () => {
    const { table, clock, authenticator } = setup({ ttlMs: 60_000 });
    const raw = generateVirtualKey().rawKey;
    table.add(raw, 'team-a');
    await authenticator.authenticate(raw);
    table.rows.clear(); // revoked by another instance
    clock.now += 1000;
    assert.equal(await authenticator.authenticate(raw), null);
  });

  test('remembers unknown keys briefly, and forgets one as soon as it is created here', async () => {
    const { table, clock, authenticator } = setup();
    const raw = generateVirtualKey().rawKey;
    assert.equal(await authenticator.authenticate(raw), null);
    assert.equal(await authenticator.authenticate(raw), null);
    assert.equal(table.lookups, 1);
    table.add(raw, 'team-a');
    authenticator.forgetHash(hashVirtualKey(raw));
    assert.ok(await authenticator.authenticate(raw));

    const other = generateVirtualKey().rawKey;
    assert.equal(await authenticator.authenticate(other), null);
    table.add(other, 'team-b'); // created by another instance
    clock.now += 1000;
    assert.ok(await authenticator.authenticate(other));
  });

  test('rejects malformed keys without a lookup', async () => {
    const { table, authenticator } = setup();
    for (const raw of ['', 'sk-1234', 'sk-sl-short', `sk-sl-${'!'.repeat(40)}`, `Bearer sk-sl-${'a'.repeat(40)}`]) {
      assert.equal(await authenticator.authenticate(raw), null);
    }
    assert.equal(table.lookups, 0);
  });

  test('concurrent first requests share one lookup', async () => {
    const { table, authenticator } = setup();
    const raw = generateVirtualKey().rawKey;
    table.add(raw, 'team-a');
    table.hold();
    const pending = Array.from({ length: 20 }, () => authenticator.authenticate(raw));
    table.release();
    const results = await Promise.all(pending);
    assert.ok(results.every((result) => result?.teamId === 'team-a'));
    assert.equal(table.lookups, 1);
  });

  test('honours expires_at on every hit, and forgets revoked keys and deleted teams at once', async () => {
    const { table, clock, authenticator } = setup();
    const expiring = generateVirtualKey().rawKey;
    table.add(expiring, 'team-a', new Date(clock.now + 300));
    assert.ok(await authenticator.authenticate(expiring));
    clock.now += 300;
    assert.equal(await authenticator.authenticate(expiring), null);

    const revoked = generateVirtualKey().rawKey;
    const row = table.add(revoked, 'team-a');
    assert.ok(await authenticator.authenticate(revoked));
    table.rows.delete(hashVirtualKey(revoked));
    authenticator.forgetKey(row.key.keyId);
    assert.equal(await authenticator.authenticate(revoked), null);

    const teamKey = generateVirtualKey().rawKey;
    table.add(teamKey, 'team-gone');
    assert.ok(await authenticator.authenticate(teamKey));
    table.rows.delete(hashVirtualKey(teamKey));
    authenticator.forgetTeam('team-gone');
    assert.equal(await authenticator.authenticate(teamKey), null);
  });

  test('a lookup that began before an invalidation does not re-insert its stale answer', async () => {
    const { table, authenticator } = setup();
    const raw = generateVirtualKey().rawKey;
    const row = table.add(raw, 'team-a');
    table.hold();
    const early = authenticator.authenticate(raw);
    await flushMicrotasks();
    table.rows.delete(hashVirtualKey(raw));
    authenticator.forgetKey(row.key.keyId);
    table.release();
    assert.ok(await early); // it began while the key was valid
    assert.equal(await authenticator.authenticate(raw), null);
  });

  test('batches last_used_at and flushes it on close', async () => {
    const { table, clock, authenticator } = setup();
    const first = generateVirtualKey().rawKey;
    const second = generateVirtualKey().rawKey;
    const firstRow = table.add(first, 'team-a');
    const secondRow = table.add(second, 'team-a');
    await authenticator.authenticate(first);
    clock.now += 10;
    await authenticator.authenticate(second);
    clock.now += 10;
    await authenticator.authenticate(first);
    assert.equal(table.uses.length, 0, 'nothing written on the request path');
    await authenticator.close();
    assert.equal(table.uses.length, 1);
    const batch = table.uses[0]!;
    assert.equal(batch.size, 2);
    assert.equal(batch.get(firstRow.key.keyId)?.getTime(), clock.now);
    assert.equal(batch.get(secondRow.key.keyId)?.getTime(), clock.now - 10);
  });
});
