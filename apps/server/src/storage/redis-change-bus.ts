import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

/** A change other instances' caches must drop: the catalog (deployments, groups, access), or one team's settings. */
export type SharedChange = { kind: 'catalog' } | { kind: 'team'; teamId: string };

export interface ChangeBusLogger {
  warn(details: Record<string, unknown>, message: string): void;
}

const CHANNEL = 'saas-llm:changes';

/**
 * Cache invalidation across instances over Redis pub/sub (03-domain.md "Hot-path lookups"): each instance
 * publishes the changes made through it and drops its cached copies when another instance publishes one.
 * Without it (or while Redis is away) caches still expire by age — the catalog within 60 s, team settings
 * within their TTL — so a lost message delays a change, never loses it.
 */
export class RedisChangeBus {
  private readonly origin = randomUUID();
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private lastWarning = 0;

  constructor(url: string, onRemoteChange: (change: SharedChange) => void, private readonly log: ChangeBusLogger) {
    const options = { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000 };
    this.publisher = new Redis(url, options);
    // The subscriber queues its SUBSCRIBE until connected, and resubscribes after a reconnection.
    this.subscriber = new Redis(url, { ...options, enableOfflineQueue: true });
    for (const client of [this.publisher, this.subscriber]) client.on('error', (error: Error) => this.warn(error));
    this.subscriber.subscribe(CHANNEL).catch((error: unknown) => this.warn(error));
    this.subscriber.on('message', (_channel: string, message: string) => {
      let parsed: { origin?: string; change?: SharedChange };
      try {
        parsed = JSON.parse(message) as typeof parsed;
      } catch {
        return; // not ours: the channel is shared only by gateways, but a stray publisher must not crash one
      }
      if (parsed.origin === this.origin || !parsed.change) return;
      if (parsed.change.kind === 'catalog' || (parsed.change.kind === 'team' && typeof parsed.change.teamId === 'string')) onRemoteChange(parsed.change);
    });
  }

  publish(change: SharedChange): void {
    this.publisher.publish(CHANNEL, JSON.stringify({ origin: this.origin, change })).catch((error: unknown) => this.warn(error));
  }

  async close(): Promise<void> {
    await Promise.all([this.publisher, this.subscriber].map((client) => client.quit().catch(() => client.disconnect())));
  }

  private warn(error: unknown): void {
    const now = Date.now();
    if (now - this.lastWarning < 60_000) return;
    this.lastWarning = now;
    this.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'Redis change bus unavailable: other instances see changes when their caches expire');
  }
}
