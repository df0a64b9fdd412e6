import type { AdminActor, AuthenticatedKey } from '../domain/principals.ts';

/** The authenticated caller of a request, set by the auth hook. */
export type Principal = { kind: 'admin'; actor: AdminActor } | { kind: 'team'; key: AuthenticatedKey };

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    /** Milliseconds spent waiting for upstreams, reported in `server-timing`. */
    upstreamMs: number;
    startedAt: bigint;
  }
}
