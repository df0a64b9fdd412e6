import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { addLimitHeaders, limitExceeded, limitTicket, type LimitScope, type LimitTicket, type RateLimits } from '../domain/rate-limits.ts';

/**
 * Checks every scope, then counts the call in all of them, atomically (one script: two instances can't
 * both take the last slot). Windows are wall-clock minutes on Redis's own clock (`TIME`), so instances with
 * drifting clocks agree; the count of a scope is this minute plus the previous minute weighted by how much
 * of it a sliding window still covers — the in-memory limiter's rule. In-flight calls are members of a
 * sorted set scored by a lease's end, so the slots of an instance that died with calls running come back.
 *
 * KEYS: one prefix per scope. ARGV: estimated tokens, call id, lease ms, then rpm, tpm, concurrent per scope
 * (-1: no limit). Returns {'ok', 0, 0, minute, requests, tokens per scope…} or {kind, scope index, retry-after
 * seconds, minute, requests, tokens per scope checked so far…}; the minute is the window the estimate is counted in.
 */
const ADMIT_SCRIPT = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local minute = math.floor(now / 60000)
local weight = (60000 - (now - minute * 60000)) / 60000
local retry = math.max(1, math.ceil(((minute + 1) * 60000 - now) / 1000))
local estimated = tonumber(ARGV[1])
local counts = {}
for i = 1, #KEYS do
  local base = KEYS[i]
  local rpm = tonumber(ARGV[3 + (i - 1) * 3 + 1])
  local tpm = tonumber(ARGV[3 + (i - 1) * 3 + 2])
  local concurrent = tonumber(ARGV[3 + (i - 1) * 3 + 3])
  local requests = tonumber(redis.call('GET', base .. ':r:' .. minute) or '0') + tonumber(redis.call('GET', base .. ':r:' .. (minute - 1)) or '0') * weight
  local tokens = tonumber(redis.call('GET', base .. ':t:' .. minute) or '0') + tonumber(redis.call('GET', base .. ':t:' .. (minute - 1)) or '0') * weight
  counts[#counts + 1] = math.floor(requests)
  counts[#counts + 1] = math.floor(tokens)
  if rpm >= 0 and requests + 1 > rpm then return {'rpm', i, retry, minute, unpack(counts)} end
  if tpm >= 0 and tokens + estimated > tpm then return {'tpm', i, retry, minute, unpack(counts)} end
  if concurrent >= 0 then
    redis.call('ZREMRANGEBYSCORE', base .. ':c', '-inf', now)
    if redis.call('ZCARD', base .. ':c') >= concurrent then return {'concurrent', i, 1, minute, unpack(counts)} end
  end
end
for i = 1, #KEYS do
  local base = KEYS[i]
  redis.call('INCR', base .. ':r:' .. minute)
  redis.call('PEXPIRE', base .. ':r:' .. minute, 120000)
  if estimated > 0 then
    redis.call('INCRBY', base .. ':t:' .. minute, estimated)
    redis.call('PEXPIRE', base .. ':t:' .. minute, 120000)
  end
  if tonumber(ARGV[3 + (i - 1) * 3 + 3]) >= 0 then
    redis.call('ZADD', base .. ':c', now + tonumber(ARGV[3]), ARGV[2])
    redis.call('PEXPIRE', base .. ':c', tonumber(ARGV[3]))
  end
end
return {'ok', 0, 0, minute, unpack(counts)}
`;

/**
 * Corrects the tokens of the minute the estimate was counted in by actual − estimated (never below zero) and
 * frees the call's slot. Not the current minute: a call admitted at 12:00:59.8 and settled at 12:01:00.1 would
 * otherwise leave its whole estimate in 12:00 (still weighing on the sliding window) and find nothing to
 * correct in 12:01. A window already expired is left alone. ARGV: delta, call id, admission minute.
 */
const RELEASE_SCRIPT = `
local delta = tonumber(ARGV[1])
for i = 1, #KEYS do
  local base = KEYS[i]
  local key = base .. ':t:' .. ARGV[3]
  if delta ~= 0 and redis.call('EXISTS', key) == 1 then
    if redis.call('INCRBY', key, delta) < 0 then redis.call('SET', key, 0, 'KEEPTTL') end
  end
  redis.call('ZREM', base .. ':c', ARGV[2])
end
return 1
`;

/** A call's concurrency slot outlives a dead instance by at most this long. Longer than any call's deadline. */
const SLOT_LEASE_MS = 30 * 60_000;
/** Past this, a call does not wait for Redis: it is counted in this instance's memory instead. */
const COMMAND_TIMEOUT_MS = 250;

type ScriptReply = [string, number, number, number, ...number[]];

interface LimitScripts {
  admitLimits(numberOfKeys: number, ...args: Array<string | number>): Promise<ScriptReply>;
  releaseLimits(numberOfKeys: number, ...args: Array<string | number>): Promise<number>;
}

export interface RateLimiterLogger {
  warn(details: Record<string, unknown>, message: string): void;
}

/**
 * Rate limits counted in Redis (`REDIS_URL`), so that they hold across instances and worker processes
 * (03-domain.md "Limits"). When Redis does not answer in time the call is counted by `fallback`, this
 * instance's in-memory limiter — limits then hold per instance, as without Redis — and a warning is logged
 * (at most once a minute): a cache of counters being down should not take calls down with it.
 */
export class RedisRateLimiter implements RateLimits {
  private readonly redis: Redis & LimitScripts;
  private lastWarning = 0;

  constructor(url: string, private readonly fallback: RateLimits, private readonly log: RateLimiterLogger, private readonly keyPrefix = 'saas-llm:limits:') {
    this.redis = new Redis(url, {
      commandTimeout: COMMAND_TIMEOUT_MS, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000,
    }) as Redis & LimitScripts;
    this.redis.defineCommand('admitLimits', { lua: ADMIT_SCRIPT });
    this.redis.defineCommand('releaseLimits', { lua: RELEASE_SCRIPT });
    // Connection errors surface on the commands (and fall back there); the client reconnects by itself.
    this.redis.on('error', (error: Error) => this.warn(error));
  }

  async admit(scopes: readonly LimitScope[], estimatedTokens: number): Promise<LimitTicket> {
    const keys = scopes.map((scope) => this.keyPrefix + scope.id);
    const member = randomUUID();
    const limits = scopes.flatMap((scope) => [scope.limits.rpm ?? -1, scope.limits.tpm ?? -1, scope.limits.concurrent ?? -1]);
    let reply: ScriptReply;
    try {
      reply = await this.redis.admitLimits(keys.length, ...keys, estimatedTokens, member, SLOT_LEASE_MS, ...limits);
    } catch (error) {
      this.warn(error);
      return this.fallback.admit(scopes, estimatedTokens);
    }
    const [verdict, scopeIndex, retryAfter, minute, ...counts] = reply;
    const headers: Record<string, string> = {};
    for (let index = 0; index * 2 < counts.length; index++) addLimitHeaders(headers, scopes[index]!.limits, counts[index * 2]!, counts[index * 2 + 1]!, estimatedTokens);
    if (verdict !== 'ok') throw limitExceeded(verdict as 'rpm' | 'tpm' | 'concurrent', scopes[scopeIndex - 1]!, retryAfter, headers);
    return limitTicket(headers, (actualTokens) => {
      this.redis.releaseLimits(keys.length, ...keys, actualTokens - estimatedTokens, member, minute).catch((error: unknown) => this.warn(error));
    });
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private warn(error: unknown): void {
    const now = Date.now();
    if (now - this.lastWarning < 60_000) return;
    this.lastWarning = now;
    this.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'Redis rate-limit counters unavailable: counting in this instance until it answers');
  }
}
