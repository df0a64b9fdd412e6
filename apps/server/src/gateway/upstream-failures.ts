import { UpstreamError } from '@saas-llm/providers';
import { DomainError } from '../domain/errors.ts';

/** The tenant-facing error for an upstream failure that ends a call (messages are already redacted). */
export function upstreamFailureToDomainError(error: UpstreamError, modelName: string): DomainError {
  switch (error.gatewayCode) {
    case 'invalid_request':
      return new DomainError('invalid_request', `The model rejected the request: ${error.message}`);
    case 'upstream_timeout':
      return new DomainError('upstream_timeout', `The upstream for '${modelName}' timed out: ${error.message}`);
    case 'upstream_unavailable':
      return new DomainError('upstream_unavailable', `The upstream for '${modelName}' is unavailable: ${error.message}`);
    case 'upstream_error':
      return new DomainError('upstream_error', `The upstream for '${modelName}' failed: ${error.message}`);
  }
}

/** Every candidate failed or was cooling down. */
export function allCandidatesFailed(modelName: string, lastError: UpstreamError | null, candidatesTried: number): DomainError {
  if (lastError && candidatesTried === 1 && lastError.gatewayCode !== 'invalid_request') return upstreamFailureToDomainError(lastError, modelName);
  const detail = lastError ? ` Last error: ${lastError.message}` : '';
  return new DomainError('upstream_unavailable', `Every deployment of '${modelName}' failed or is cooling down.${detail}`);
}

export const isUpstreamError = (error: unknown): error is UpstreamError => error instanceof UpstreamError;
