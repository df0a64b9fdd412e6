import type { FastifyRequest } from 'fastify';
import { DomainError } from '../../../domain/errors.ts';
import type { AuthenticatedKey } from '../../../domain/principals.ts';

/** The virtual key of a client-plane request (the auth hook guarantees one on 'virtual_key' routes). */
export function keyOf(request: FastifyRequest): AuthenticatedKey {
  const principal = request.principal;
  if (principal?.kind !== 'team') throw new DomainError('invalid_api_key', 'Invalid API key: it is missing, unknown, revoked or expired.');
  return principal.key;
}

/** The key's team; a body or path naming another team is 403 `team_mismatch`. */
export function scopedTeamId(request: FastifyRequest, named?: string | null): string {
  const key = keyOf(request);
  if (named && named !== key.teamId) throw new DomainError('team_mismatch', `This key belongs to team '${key.teamId}', not '${named}'.`, 'team_id');
  return key.teamId;
}
