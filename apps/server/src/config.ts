import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { z } from 'zod';

/** Typed, validated configuration. This module is the only reader of `process.env`. */
export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  host: string;
  dataDir: string;
  /** null → embedded PGlite in `<dataDir>/pgdata`. */
  databaseUrl: string | null;
  redisUrl: string | null;
  masterKey: string | null;
  /** 32 bytes for AES-256-GCM of provider secrets. */
  encryptionKey: Buffer;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  bodyLimitBytes: number;
  defaultJobTtlSeconds: number;
  sessionTtlSeconds: number;
  /** Interval of `: keepalive` comments while a stream waits for the upstream's first byte. */
  streamKeepaliveMs: number;
  /** How often the background sweepers run (expired jobs, stale holds, auto-refill). */
  sweepIntervalMs: number;
  workers: number;
  /** Real provider keys used by the demo bootstrap when present. */
  demoProviderKeys: { openai: string | null; anthropic: string | null; gemini: string | null };
}

export class ConfigError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`Invalid configuration: ${variable} ${message}`);
  }
}

const emptyToUndefined = (value: unknown) => (value === '' ? undefined : value);
const envSchema = z.object({
  NODE_ENV: z.preprocess(emptyToUndefined, z.enum(['development', 'production', 'test']).default('development')),
  PORT: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(65535).default(8003)),
  HOST: z.preprocess(emptyToUndefined, z.string().min(1).default('127.0.0.1')),
  SAAS_LLM_DATA_DIR: z.preprocess(emptyToUndefined, z.string().min(1).default('./.saas-llm')),
  DATABASE_URL: z.preprocess(emptyToUndefined, z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL').optional()),
  REDIS_URL: z.preprocess(emptyToUndefined, z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').optional()),
  SAAS_LLM_MASTER_KEY: z.preprocess(emptyToUndefined, z.string().min(16, 'must be at least 16 characters').optional()),
  SAAS_LLM_ENCRYPTION_KEY: z.preprocess(emptyToUndefined, z.string().regex(/^(?:[0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=)$/, 'must be 32 bytes as 64 hex characters or base64').optional()),
  LOG_LEVEL: z.preprocess(emptyToUndefined, z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')),
  SAAS_LLM_BODY_LIMIT_BYTES: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1024).max(1024 * 1024 * 1024).default(10 * 1024 * 1024)),
  SAAS_LLM_JOB_TTL_SECONDS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(30 * 24 * 3600).default(3600)),
  SAAS_LLM_SESSION_TTL_SECONDS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(60).max(30 * 24 * 3600).default(12 * 3600)),
  SAAS_LLM_STREAM_KEEPALIVE_MS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(10).max(600_000).default(15_000)),
  SAAS_LLM_SWEEP_INTERVAL_MS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(100).max(3_600_000).default(15_000)),
  WORKERS: z.preprocess(emptyToUndefined, z.union([z.literal('auto'), z.coerce.number().int().min(1).max(256)]).default(1)),
  OPENAI_API_KEY: z.preprocess(emptyToUndefined, z.string().optional()),
  ANTHROPIC_API_KEY: z.preprocess(emptyToUndefined, z.string().optional()),
  GEMINI_API_KEY: z.preprocess(emptyToUndefined, z.string().optional()),
});

export type Environment = Record<string, string | undefined>;

/**
 * Reads and validates the environment. Throws `ConfigError` naming the first bad variable.
 * In development an absent encryption key is generated once into `<dataDir>/encryption.key` (mode 0600);
 * in production it is required.
 */
export function loadConfig(env: Environment = process.env, overrides: Partial<Config> = {}): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(String(issue.path[0] ?? 'environment'), issue.message);
  }
  const e = parsed.data;
  const dataDir = resolve(overrides.dataDir ?? e.SAAS_LLM_DATA_DIR);
  const nodeEnv = overrides.nodeEnv ?? e.NODE_ENV;
  let encryptionKey = overrides.encryptionKey;
  if (!encryptionKey) {
    if (e.SAAS_LLM_ENCRYPTION_KEY) encryptionKey = decodeKey(e.SAAS_LLM_ENCRYPTION_KEY);
    else if (nodeEnv === 'production') throw new ConfigError('SAAS_LLM_ENCRYPTION_KEY', 'is required when NODE_ENV=production (32 bytes as 64 hex characters)');
    else encryptionKey = loadOrCreateDevKey(dataDir);
  }
  if (nodeEnv === 'production' && !e.SAAS_LLM_MASTER_KEY && !overrides.masterKey) {
    // Not fatal: admin users can still log in; but say so loudly at start (main.ts logs it).
  }
  const workers = e.WORKERS === 'auto' ? 0 : e.WORKERS;
  return {
    nodeEnv,
    port: e.PORT,
    host: e.HOST,
    dataDir,
    databaseUrl: e.DATABASE_URL ?? null,
    redisUrl: e.REDIS_URL ?? null,
    masterKey: e.SAAS_LLM_MASTER_KEY ?? null,
    encryptionKey,
    logLevel: e.LOG_LEVEL,
    bodyLimitBytes: e.SAAS_LLM_BODY_LIMIT_BYTES,
    defaultJobTtlSeconds: e.SAAS_LLM_JOB_TTL_SECONDS,
    sessionTtlSeconds: e.SAAS_LLM_SESSION_TTL_SECONDS,
    streamKeepaliveMs: e.SAAS_LLM_STREAM_KEEPALIVE_MS,
    sweepIntervalMs: e.SAAS_LLM_SWEEP_INTERVAL_MS,
    workers,
    demoProviderKeys: { openai: e.OPENAI_API_KEY ?? null, anthropic: e.ANTHROPIC_API_KEY ?? null, gemini: e.GEMINI_API_KEY ?? null },
    ...overrides,
  };
}

function decodeKey(text: string): Buffer {
  return text.length === 64 ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
}

function loadOrCreateDevKey(dataDir: string): Buffer {
  const path = join(dataDir, 'encryption.key');
  if (existsSync(path)) {
    const text = readFileSync(path, 'utf8').trim();
    if (!/^[0-9a-f]{64}$/i.test(text)) throw new ConfigError('SAAS_LLM_ENCRYPTION_KEY', `is absent and ${path} does not hold a 64-hex-character key`);
    return Buffer.from(text, 'hex');
  }
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  // 'wx' fails if another process created it first; then read theirs.
  try {
    writeFileSync(path, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600);
    return key;
  } catch {
    return Buffer.from(readFileSync(path, 'utf8').trim(), 'hex');
  }
}

/** The environment as the CLI sees it: admin subcommands (SAAS_API_URL, SAAS_LLM_MASTER_KEY), serve's re-execution (memory-tuning.ts). */
export function cliEnvironment(): Environment {
  return { ...process.env };
}
