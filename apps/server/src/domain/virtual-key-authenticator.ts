import type { AuthenticatedKey, VirtualKeyAuthenticator } from './principals.ts';
import { hashVirtualKey, looksLikeVirtualKey, type VirtualKeyCache } from './virtual-keys.ts';

/** A key that may authenticate now: not revoked, not expired, its team not deleted. */
export interface ActiveKey {
  key: AuthenticatedKey;
  expiresAt: Date | null;
}

/** Port: the database side of authentication. */
export interface ActiveKeyLookup {
  findActiveByHash(keyHash: string): Promise<ActiveKey | null>;
  /** Writes `last_used_at` for a batch of keys (key id → last use). */
  recordUse(lastUsed: ReadonlyMap<string, Date>): Promise<void>;
}

export interface KeyAuthenticatorOptions {
  /** Longest time a cached answer is trusted; ≤ 1000 so a revoke on another instance bites within 1 s. */
  ttlMs?: number;
  /** Longest time an unknown key is remembered as unknown (a key created elsewhere works after this). */
  negativeTtlMs?: number;
  /** Cache size bound (oldest entries go first), so random keys can't grow memory without limit. */
  maxEntries?: number;
  /** `last_used_at` writes are batched over this window. */
  touchFlushMs?: number;
  now?: () => number;
  /** Failures of background work (refreshes, `last_used_at` flushes), which have no request to fail. */
  onBackgroundError: (error: unknown, task: string) => void;
}

interface CacheEntry {
  key: AuthenticatedKey | null;
  expiresAtMs: number | null;
  /** When the lookup that produced this entry was issued: the database state is at least this fresh. */
  fetchedAtMs: number;
}

/**
 * Virtual key → key record, from an in-process cache keyed by the key's SHA-256.
 *
 * Why this design: 03-domain.md wants no database round trip per request *and* a revoke on any instance
 * to take effect everywhere within 1 s. Entries are therefore trusted for at most `ttlMs` (≤ 1 s) and are
 * refreshed ahead of time, in the background, by the first request that sees one past half its TTL.
 * A key in steady use never waits on the database, each instance issues about two cheap indexed lookups
 * per second per busy key, and there is no invalidation channel to lose messages or timers to manage.
 * A key that was idle longer than the TTL pays one lookup. Changes made through this process (revoke,
 * rotate, team deletion) are applied to the cache at once through `VirtualKeyCache`. `expires_at` is
 * checked on every hit, so an expiring key stops at its instant, not up to a TTL later.
 */
export class CachingKeyAuthenticator implements VirtualKeyAuthenticator, VirtualKeyCache {
  private readonly entries = new Map<string, CacheEntry>();
  private readonly inFlight = new Map<string, Promise<CacheEntry>>();
  private pendingUses = new Map<string, number>();
  private flushTimer: NodeJS.Timeout | null = null;
  /** Bumped by every invalidation, so a lookup that started before it can't re-insert a stale answer. */
  private generation = 0;
  private readonly ttlMs: number;
  private readonly negativeTtlMs: number;
  private readonly maxEntries: number;
  private readonly touchFlushMs: number;
  private readonly now: () => number;

  constructor(private readonly lookup: ActiveKeyLookup, private readonly options: KeyAuthenticatorOptions) {
    this.ttlMs = Math.min(options.ttlMs ?? 1000, 1000);
    this.negativeTtlMs = Math.min(options.negativeTtlMs ?? 1000, this.ttlMs);
    this.maxEntries = options.maxEntries ?? 50_000;
    this.touchFlushMs = options.touchFlushMs ?? 2000;
    this.now = options.now ?? Date.now;
  }

  /** A cache hit is answered synchronously; a miss waits for the lookup. */
  authenticate(rawKey: string): AuthenticatedKey | null | Promise<AuthenticatedKey | null> {
    if (!looksLikeVirtualKey(rawKey)) return null;
    const keyHash = hashVirtualKey(rawKey);
    const cached = this.entries.get(keyHash);
    const now = this.now();
    if (cached) {
      const age = now - cached.fetchedAtMs;
      if (age < (cached.key ? this.ttlMs : this.negativeTtlMs)) {
        if (cached.key && age >= this.ttlMs / 2) this.refreshInBackground(keyHash);
        return this.accept(cached, now);
      }
    }
    return this.load(keyHash).then((fresh) => this.accept(fresh, this.now()));
  }

  forgetKey(keyId: string): void {
    this.forgetWhere((entry) => entry.key?.keyId === keyId);
  }

  forgetTeam(teamId: string): void {
    this.forgetWhere((entry) => entry.key?.teamId === teamId);
  }

  forgetHash(keyHash: string): void {
    this.entries.delete(keyHash);
    this.generation += 1;
    this.inFlight.delete(keyHash);
  }

  /** Writes pending `last_used_at` values and stops the flush timer (call when the server closes). */
  async close(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    await this.flushUses();
  }

  private accept(entry: CacheEntry, now: number): AuthenticatedKey | null {
    if (!entry.key) return null;
    if (entry.expiresAtMs !== null && now >= entry.expiresAtMs) return null;
    this.recordUse(entry.key.keyId, now);
    return entry.key;
  }

  /** One lookup per hash at a time: concurrent requests with the same key share it. */
  private load(keyHash: string): Promise<CacheEntry> {
    const running = this.inFlight.get(keyHash);
    if (running) return running;
    const generation = this.generation;
    const issuedAt = this.now();
    const lookup = this.lookup.findActiveByHash(keyHash).then((active) => {
      const entry: CacheEntry = { key: active?.key ?? null, expiresAtMs: active?.expiresAt?.getTime() ?? null, fetchedAtMs: issuedAt };
      if (generation === this.generation) this.remember(keyHash, entry);
      return entry;
    }).finally(() => {
      if (this.inFlight.get(keyHash) === lookup) this.inFlight.delete(keyHash);
    });
    this.inFlight.set(keyHash, lookup);
    return lookup;
  }

  private refreshInBackground(keyHash: string): void {
    if (this.inFlight.has(keyHash)) return;
    this.load(keyHash).catch((error: unknown) => {
      // Drop the entry: the next request looks the key up itself and fails visibly if the database does.
      this.entries.delete(keyHash);
      this.options.onBackgroundError(error, 'virtual key refresh');
    });
  }

  private remember(keyHash: string, entry: CacheEntry): void {
    // Re-inserting moves the entry to the end, so iteration order is oldest-refreshed first.
    this.entries.delete(keyHash);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(keyHash, entry);
  }

  private forgetWhere(matches: (entry: CacheEntry) => boolean): void {
    for (const [keyHash, entry] of this.entries) if (matches(entry)) this.entries.delete(keyHash);
    this.generation += 1;
    this.inFlight.clear();
  }

  /** `last_used_at` is advisory: batch it off the request path instead of writing per request. */
  private recordUse(keyId: string, now: number): void {
    this.pendingUses.set(keyId, now);
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      void this.flushUses();
    }, this.touchFlushMs);
    this.flushTimer.unref();
  }

  private async flushUses(): Promise<void> {
    if (this.pendingUses.size === 0) return;
    const batch = new Map([...this.pendingUses].map(([keyId, at]) => [keyId, new Date(at)]));
    this.pendingUses = new Map();
    try {
      await this.lookup.recordUse(batch);
    } catch (error) {
      this.options.onBackgroundError(error, 'last_used_at flush');
    }
  }
}
