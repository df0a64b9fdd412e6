import type { FastifyRequest } from 'fastify';
import { DomainError } from '../../../domain/errors.ts';
import type { AuthenticatedKey } from '../../../domain/principals.ts';

/** The calling virtual key, or null for an admin. */
export function callerKey(request: FastifyRequest): AuthenticatedKey | null {
  return request.principal?.kind === 'team' ? request.principal.key : null;
}

/**
 * A virtual key may only name its own team: another team's id is 403 `team_mismatch` (whether or not that
 * team exists, so ids can't be probed). Admins pass.
 */
export function assertOwnTeam(request: FastifyRequest, teamId: string): void {
  const key = callerKey(request);
  if (key && key.teamId !== teamId) {
    throw new DomainError('team_mismatch', `This virtual key belongs to team '${key.teamId}', not '${teamId}'.`, 'team_id');
  }
}

/** Who made a ledger change, as recorded on its row. */
export function actorOf(request: FastifyRequest): string {
  const principal = request.principal;
  if (!principal) return 'anonymous';
  if (principal.kind === 'team') return `key:${principal.key.keyId}`;
  return principal.actor.type === 'master_key' ? 'master_key' : `admin:${principal.actor.email ?? principal.actor.id}`;
}
