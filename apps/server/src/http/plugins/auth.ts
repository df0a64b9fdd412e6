import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ADMIN_SESSION_COOKIE, HEADERS } from '@saas-llm/protocol';
import { DomainError } from '../../domain/errors.ts';
import type { AdminAuthenticator, AuditSink, VirtualKeyAuthenticator } from '../../domain/principals.ts';
import { redactSecrets } from '../../domain/redaction.ts';
import { AuthFailureThrottle } from '../../domain/auth-failure-throttle.ts';

export interface AuthDependencies {
  admin: AdminAuthenticator;
  keys: VirtualKeyAuthenticator;
  audit: AuditSink;
  /** Throttles addresses that keep presenting invalid keys. */
  keyFailures?: AuthFailureThrottle;
}

const INVALID_KEY_MESSAGE = 'Invalid API key: it is missing, unknown, revoked or expired.';
const ADMIN_REQUIRED_MESSAGE = 'Admin authentication required: send the master key or an admin session token.';

export function credentialsOf(request: FastifyRequest): { bearer: string | null; adminKey: string | null; apiKey: string | null; sessionCookie: string | null } {
  const authorization = request.headers.authorization;
  const bearer = typeof authorization === 'string' && /^Bearer\s+/i.test(authorization) ? authorization.replace(/^Bearer\s+/i, '').trim() || null : null;
  const adminKey = headerValue(request.headers[HEADERS.adminKey]);
  const apiKey = headerValue(request.headers[HEADERS.apiKey]);
  const cookie = headerValue(request.headers.cookie);
  const sessionCookie = cookie?.split(/;\s*/).find((part) => part.startsWith(`${ADMIN_SESSION_COOKIE}=`))?.slice(ADMIN_SESSION_COOKIE.length + 1) ?? null;
  return { bearer, adminKey, apiKey, sessionCookie };
}

function headerValue(value: string | string[] | undefined): string | null {
  const single = Array.isArray(value) ? value[0] : value;
  return single && single.length > 0 ? single : null;
}

/**
 * Authenticates every route by its declared `auth`, enforces admin roles (viewer: reads only; admin:
 * everything but owner management; owner: everything), and writes the audit row of every admin mutation
 * before its response leaves.
 */
export function registerAuth(app: FastifyInstance, deps: AuthDependencies): void {
  const keyFailures = deps.keyFailures ?? new AuthFailureThrottle();
  app.addHook('preHandler', async (request) => {
    const route = request.routeOptions.config.route;
    if (!route || route.auth === 'public') return;
    const credentials = credentialsOf(request);
    if (route.auth === 'admin' || route.auth === 'admin_or_key') {
      const actor = await deps.admin.authenticate(credentials);
      if (actor) {
        if (route.access !== 'read' && actor.role === 'viewer') throw new DomainError('forbidden', 'Your admin role (viewer) is read-only.');
        if (route.access === 'owner' && actor.role !== 'owner') throw new DomainError('forbidden', 'Only an owner may do this.');
        request.principal = { kind: 'admin', actor };
        return;
      }
      if (route.auth === 'admin') throw new DomainError('invalid_api_key', ADMIN_REQUIRED_MESSAGE);
    }
    const rawKey = credentials.bearer ?? credentials.apiKey;
    keyFailures.assertAllowed(request.ip);
    const key = rawKey ? await deps.keys.authenticate(rawKey) : null;
    if (!key) {
      if (rawKey) keyFailures.recordFailure(request.ip);
      throw new DomainError('invalid_api_key', INVALID_KEY_MESSAGE);
    }
    request.principal = { kind: 'team', key };
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const route = request.routeOptions.config.route;
    const principal = request.principal;
    if (!route || route.access === 'read' || principal?.kind !== 'admin') return payload;
    await deps.audit.record({
      actor: principal.actor,
      action: `${request.method} ${request.routeOptions.url ?? request.url}`,
      resourceType: route.resourceType,
      resourceId: resourceIdOf(request.params, payload),
      ip: request.ip ?? null,
      userAgent: headerValue(request.headers['user-agent']),
      diff: redactSecrets(request.body ?? null),
      statusCode: reply.statusCode,
    });
    return payload;
  });
}

// Specific ids before the generic `name`: an admin user's payload has both `user_id` and `name`.
// Most specific first: a team body also names its organization, a key body its team.
const ID_FIELDS = ['key_id', 'credential_id', 'user_id', 'team_id', 'alias', 'name', 'organization_id'];

function resourceIdOf(params: unknown, payload: unknown): string | null {
  if (params && typeof params === 'object') {
    const values = Object.values(params as Record<string, unknown>).filter((value): value is string => typeof value === 'string');
    if (values.length > 0) return values.join('/');
  }
  if (typeof payload === 'string' && payload.length < 100_000 && payload.startsWith('{')) {
    try {
      const body = JSON.parse(payload) as Record<string, unknown>;
      for (const field of ID_FIELDS) if (typeof body[field] === 'string') return body[field];
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
    }
  }
  return null;
}
