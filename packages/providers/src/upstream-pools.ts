import { Pool } from 'undici';

/** Sizing of the keep-alive pools; one set for the whole process, chosen by the server's config. */
export interface UpstreamPoolOptions {
  /** Concurrent connections per upstream origin. */
  connections: number;
  /** How long an idle keep-alive socket is kept (undici also honours the server's `Keep-Alive` hint). */
  keepAliveTimeoutMs: number;
}

/**
 * A stream holds its connection for its whole length (often minutes), so the per-origin cap is the number
 * of calls that can stream from one provider at once: at 256, call 257 queued inside undici until another
 * stream ended (seen in bench/ with 1,000 open streams). The cap is a safety net far above what a core
 * sustains, not a throttle; undici opens connections lazily, so an idle pool costs nothing.
 */
export const DEFAULT_POOL_OPTIONS: Readonly<UpstreamPoolOptions> = Object.freeze({ connections: 10_000, keepAliveTimeoutMs: 30_000 });

/**
 * One pooled keep-alive `undici.Pool` per upstream origin (and connect timeout, which undici fixes per
 * pool). Created once by the composition root and shared by every adapter it makes, so that all calls to
 * `api.openai.com` reuse the same warm connections; `close()` at shutdown.
 */
export class UpstreamPools {
  private readonly pools = new Map<string, Pool>();
  private closed = false;

  constructor(private readonly options: UpstreamPoolOptions = DEFAULT_POOL_OPTIONS) {}

  /** The pool for `origin` (e.g. `https://api.openai.com`), created on first use. */
  get(origin: string, connectTimeoutMs: number): Pool {
    if (this.closed) throw new Error('UpstreamPools is closed');
    const key = `${origin} ${connectTimeoutMs}`;
    let pool = this.pools.get(key);
    if (pool === undefined) {
      pool = new Pool(origin, {
        connections: this.options.connections,
        pipelining: 1,
        keepAliveTimeout: this.options.keepAliveTimeoutMs,
        connectTimeout: connectTimeoutMs > 0 ? connectTimeoutMs : undefined,
        // Our own CallDeadline enforces first-byte, idle and total limits with typed errors.
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      this.pools.set(key, pool);
    }
    return pool;
  }

  /** How many pools are open (one per origin in use). */
  get size(): number {
    return this.pools.size;
  }

  /** Closes every pool, letting in-flight requests finish. */
  async close(): Promise<void> {
    this.closed = true;
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((pool) => pool.close()));
  }

  /** Destroys every pool at once, aborting in-flight requests. */
  async destroy(): Promise<void> {
    this.closed = true;
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((pool) => pool.destroy()));
  }
}
