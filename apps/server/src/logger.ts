import { pino, type Logger } from 'pino';
import type { Config } from './config.ts';

/** Paths pino removes from every log line: credentials in headers and secret fields in bodies. */
const REDACTED_PATHS = [
  'req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers["x-admin-key"]', 'req.headers.cookie',
  '*.api_key', '*.password', '*.token', '*.virtual_key', '*.apiKey',
];

/** The process logger (Fastify uses the same instance). `destination` lets tests capture the output. */
export function createLogger(config: Pick<Config, 'logLevel'>, destination?: NodeJS.WritableStream): Logger {
  const options = { level: config.logLevel, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}

export type { Logger };
