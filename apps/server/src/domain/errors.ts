import { ERROR_STATUS, type ErrorCode } from '@saas-llm/protocol';

/**
 * An expected failure of a business rule. Carries the wire error code; the HTTP status follows from it.
 * `extra` fields are added inside the error envelope (e.g. `credits_available`).
 */
export class DomainError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly param: string | null = null,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'DomainError';
    this.status = ERROR_STATUS[code];
  }
}

export const notFound = (what: string, id: string, code: ErrorCode = 'not_found') =>
  new DomainError(code, `${what} '${id}' was not found.`);
export const conflict = (message: string, code: ErrorCode = 'conflict') => new DomainError(code, message);
export const invalid = (param: string, message: string) => new DomainError('invalid_request', `${param}: ${message}`, param);
