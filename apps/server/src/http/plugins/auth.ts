import type { FastifyContextConfig, FastifyInstance, FastifyRequest } from 'fastify';
import { ADMIN_SESSION_COOKIE, HEADERS } from '@saas-llm/protocol';
import { DomainError } from '../../domain/errors.ts';
import type { AdminAuthenticator, AuditSink, AuthenticatedKey, VirtualKeyAuthenticator } from '../../domain/principals.ts';
import { redactSecrets } from '../../domain/redaction.ts';
import { AuthFailureThrottle } from '../../domain/auth-failure-throttle.ts';
import { matchedRoute } from './request-context.ts';

export interface AuthDependencies {
  admin: AdminAuthenticator;
  keys: VirtualKeyAuthenticator;
  audit: AuditSink;
  /** Throttles addresses that keep presenting invalid keys. */
  keyFailures?: AuthFailureThrottle;
}

const INVALID_KEY_MESSAGE = 'Invalid API key: it is missing, unknown, revoked or expired.';
const ADMIN_REQUIRED_MESSAGE = 'Admin authentication required: send the master key or an admin session token.';

const BEARER = /^Bearer\s+/i;
const COOKIE_SEPARATOR = /;\s*/;
const SESSION_COOKIE_PREFIX = `${ADMIN_SESSION_COOKIE}=`;

type Credentials = ReturnType<typeof credentialsOf>;
type RouteSpec = NonNullable<FastifyContextConfig['route']>;

export function credentialsOf(request: FastifyRequest): { bearer: string | null; adminKey: string | null; apiKey: string | null; sessionCookie: string | null } {
  const authorization = request.headers.authorization;
  const bearer = typeof authorization === 'string' && BEARER.test(authorization) ? authorization.replace(BEARER, '').trim() || null : null;
  const adminKey = headerValue(request.headers[HEADERS.adminKey]);
  const apiKey = headerValue(request.headers[HEADERS.apiKey]);
  const cookie = headerValue(request.headers.cookie);
  const sessionCookie = cookie?.split(COOKIE_SEPARATOR).find((part) => part.startsWith(SESSION_COOKIE_PREFIX))?.slice(SESSION_COOKIE_PREFIX.length) ?? null;
  return { bearer, adminKey, apiKey, sessionCookie };
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
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
  // Callback-style, so a virtual key answered from the cache costs no promise: the admin paths stay async.
  app.addHook('preHandler', (request, _reply, done) => {
    const route = matchedRoute(request).spec;
    if (!route || route.auth === 'public') return done();
    const credentials = credentialsOf(request);
    const authenticated = route.auth === 'virtual_key' ? authenticateKey(request, credentials) : authenticateAdminOrKey(request, route, credentials);
    if (authenticated) authenticated.then(() => done(), done);
    else done();
  });

  async function authenticateAdminOrKey(request: FastifyRequest, route: RouteSpec, credentials: Credentials): Promise<void> {
    const actor = await deps.admin.authenticate(credentials);
    if (actor) {
      if (route.access !== 'read' && actor.role === 'viewer') throw new DomainError('forbidden', 'Your admin role (viewer) is read-only.');
      if (route.access === 'owner' && actor.role !== 'owner') throw new DomainError('forbidden', 'Only an owner may do this.');
      request.principal = { kind: 'admin', actor };
      return;
    }
    if (route.auth === 'admin') throw new DomainError('invalid_api_key', ADMIN_REQUIRED_MESSAGE);
    await authenticateKey(request, credentials);
  }

  /** Sets the team principal; synchronous when the key is answered from memory, else a promise. Throws when refused. */
  function authenticateKey(request: FastifyRequest, credentials: Credentials): Promise<void> | undefined {
    const rawKey = credentials.bearer ?? credentials.apiKey;
    keyFailures.assertAllowed(request.ip);
    if (!rawKey) throw new DomainError('invalid_api_key', INVALID_KEY_MESSAGE);
    const found = deps.keys.authenticate(rawKey);
    if (isPromise(found)) return found.then((key) => acceptKey(request, key));
    acceptKey(request, found);
    return undefined;
  }

  function acceptKey(request: FastifyRequest, key: AuthenticatedKey | null): void {
    if (!key) {
      keyFailures.recordFailure(request.ip);
      throw new DomainError('invalid_api_key', INVALID_KEY_MESSAGE);
    }
    request.principal = { kind: 'team', key };
  }

  // Callback-style: only admin mutations wait (for their audit row); every other response passes straight on.
  app.addHook('onSend', (request, reply, payload, done) => {
    const { url, spec: route } = matchedRoute(request);
    const principal = request.principal;
    if (!route || route.access === 'read' || principal?.kind !== 'admin') return done(null, payload);
    deps.audit.record({
      actor: principal.actor,
      action: `${request.method} ${url ?? request.url}`,
      resourceType: route.resourceType,
      resourceId: resourceIdOf(request.params, payload),
      ip: request.ip ?? null,
      userAgent: headerValue(request.headers['user-agent']),
      diff: redactSecrets(request.body ?? null),
      statusCode: reply.statusCode,
    }).then(() => done(null, payload), done);
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
