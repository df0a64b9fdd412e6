import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  ADMIN_SESSION_COOKIE, adminLoginSchema, adminMeSchema, adminSessionResponseSchema, adminSetupSchema, adminUserCreateSchema,
  adminUserIdParamsSchema, adminUserSchema, adminUserUpdateSchema, changePasswordSchema, type AdminUser,
} from '@saas-llm/protocol';
import type { AdminAuthService, ClientInfo, OpenedSession } from '../../../domain/admin-auth-service.ts';
import type { AdminUserRecord } from '../../../domain/admin-user-ports.ts';
import type { AdminUserService } from '../../../domain/admin-user-service.ts';
import type { AuditService } from '../../../domain/audit-service.ts';
import type { AdminActor } from '../../../domain/principals.ts';
import { DomainError } from '../../../domain/errors.ts';
import { defineRoute, type RouteRegistry } from '../../route-registry.ts';

export interface AdminUsersRouteDependencies {
  auth: AdminAuthService;
  users: AdminUserService;
  audit: AuditService;
  /** Mark the session cookie `Secure` even on plain HTTP (production sits behind TLS termination). */
  secureCookies: boolean;
}

const TAG = 'admin-users';
const RESOURCE = 'admin_user';

/** Presents an admin user: never the password hash. */
export function toAdminUser(user: AdminUserRecord): AdminUser {
  return {
    user_id: user.userId, email: user.email, name: user.name, role: user.role, status: user.status,
    created_at: user.createdAt.toISOString(), updated_at: user.updatedAt.toISOString(), last_login_at: user.lastLoginAt?.toISOString() ?? null,
  };
}

export function clientOf(request: FastifyRequest): ClientInfo {
  const agent = request.headers['user-agent'];
  return { ip: request.ip ?? null, userAgent: typeof agent === 'string' ? agent : null };
}

function adminActorOf(request: FastifyRequest): AdminActor {
  if (request.principal?.kind !== 'admin') throw new DomainError('invalid_api_key', 'Admin authentication required.');
  return request.principal.actor;
}

function sessionCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  // HttpOnly: scripts cannot read it; SameSite=Strict: other sites cannot make the browser send it.
  return `${ADMIN_SESSION_COOKIE}=${value}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;
}

/** Admin authentication (setup, login, logout, me, password) and admin user management. */
export function registerAdminUsersRoutes(app: FastifyInstance, registry: RouteRegistry, deps: AdminUsersRouteDependencies): void {
  const isSecure = (request: FastifyRequest) => deps.secureCookies || request.protocol === 'https';
  const sendSession = (request: FastifyRequest, reply: FastifyReply, session: OpenedSession) => {
    const maxAge = Math.max(0, Math.floor((session.expiresAt.getTime() - Date.now()) / 1000));
    reply.header('set-cookie', sessionCookie(session.token, maxAge, isSecure(request)));
    reply.header('cache-control', 'no-store');
    return { token: session.token, expires_at: session.expiresAt.toISOString(), user: toAdminUser(session.user) };
  };
  const actorOfSession = (session: OpenedSession): AdminActor => ({
    type: 'admin_user', id: session.user.userId, email: session.user.email, role: session.user.role, sessionId: null,
  });

  defineRoute(app, registry, {
    method: 'GET', url: '/api/admin-users/setup/status', summary: 'Whether the first owner still has to be created', tag: TAG, auth: 'public',
    response: z.object({ needs_setup: z.boolean() }),
    handler: async () => ({ needs_setup: await deps.users.needsSetup() }),
  });

  defineRoute(app, registry, {
    method: 'POST', url: '/api/admin-users/setup', summary: 'Create the first owner (only while no admin user exists) and log in', tag: TAG, auth: 'public',
    body: adminSetupSchema, response: adminSessionResponseSchema, resourceType: RESOURCE,
    handler: async ({ body, request, reply }) => {
      const session = await deps.users.setupFirstOwner(body, clientOf(request));
      await deps.audit.recordAction(actorOfSession(session), 'POST /api/admin-users/setup', RESOURCE, session.user.userId, clientOf(request));
      return sendSession(request, reply, session);
    },
  });

  defineRoute(app, registry, {
    method: 'POST', url: '/api/admin-users/login', summary: 'Log in with email and password; returns a session token and sets the session cookie', tag: TAG, auth: 'public',
    body: adminLoginSchema, response: adminSessionResponseSchema, resourceType: 'admin_session',
    handler: async ({ body, request, reply }) => {
      let session: OpenedSession;
      try {
        session = await deps.auth.login(body.email, body.password, clientOf(request));
      } catch (error) {
        if (error instanceof DomainError) request.log.warn({ email: body.email, ip: request.ip, code: error.code }, 'admin login refused');
        throw error;
      }
      await deps.audit.recordAction(actorOfSession(session), 'POST /api/admin-users/login', 'admin_session', session.user.userId, clientOf(request));
      return sendSession(request, reply, session);
    },
  });

  defineRoute(app, registry, {
    // 'read' access: every role may end its own session.
    method: 'POST', url: '/api/admin-users/logout', summary: 'Revoke the current session and clear the session cookie', tag: TAG, auth: 'admin', access: 'read',
    response: z.object({ ok: z.literal(true) }),
    handler: async ({ request, reply }) => {
      const actor = adminActorOf(request);
      await deps.auth.logout(actor);
      if (actor.sessionId) await deps.audit.recordAction(actor, 'POST /api/admin-users/logout', 'admin_session', actor.id, clientOf(request));
      reply.header('set-cookie', sessionCookie('', 0, isSecure(request)));
      return { ok: true };
    },
  });

  defineRoute(app, registry, {
    method: 'GET', url: '/api/admin-users/me', summary: 'The calling admin', tag: TAG, auth: 'admin', response: adminMeSchema,
    handler: async ({ request }) => {
      const actor = adminActorOf(request);
      if (actor.type === 'master_key') return { auth: 'master_key', user_id: null, email: null, name: 'master key', role: actor.role };
      const user = await deps.users.get(actor.id);
      return { auth: 'session', user_id: user.userId, email: user.email, name: user.name, role: user.role };
    },
  });

  defineRoute(app, registry, {
    // 'read' access: a viewer may change its own password; the handler writes the audit row itself.
    method: 'POST', url: '/api/admin-users/me/change-password', summary: "Change the caller's password; ends the caller's other sessions", tag: TAG,
    auth: 'admin', access: 'read', body: changePasswordSchema, response: z.object({ ok: z.literal(true) }),
    handler: async ({ body, request }) => {
      const actor = adminActorOf(request);
      await deps.users.changeOwnPassword(actor, body.current_password, body.new_password, clientOf(request));
      await deps.audit.recordAction(actor, 'POST /api/admin-users/me/change-password', RESOURCE, actor.id, clientOf(request));
      return { ok: true };
    },
  });

  defineRoute(app, registry, {
    method: 'GET', url: '/api/admin-users', summary: 'List admin users', tag: TAG, auth: 'admin',
    response: z.object({ users: z.array(adminUserSchema) }),
    handler: async () => ({ users: (await deps.users.list()).map(toAdminUser) }),
  });

  defineRoute(app, registry, {
    method: 'POST', url: '/api/admin-users', summary: 'Create an admin user (only an owner may create an owner)', tag: TAG, auth: 'admin',
    body: adminUserCreateSchema, response: adminUserSchema, resourceType: RESOURCE,
    handler: async ({ body, request }) => toAdminUser(await deps.users.create(adminActorOf(request), body)),
  });

  defineRoute(app, registry, {
    method: 'PUT', url: '/api/admin-users/:user_id', summary: 'Change an admin user (name, role, status, password)', tag: TAG, auth: 'admin',
    params: adminUserIdParamsSchema, body: adminUserUpdateSchema, response: adminUserSchema, resourceType: RESOURCE,
    handler: async ({ params, body, request }) => toAdminUser(await deps.users.update(adminActorOf(request), params.user_id, body)),
  });

  defineRoute(app, registry, {
    method: 'DELETE', url: '/api/admin-users/:user_id', summary: 'Delete an admin user (never the last active owner)', tag: TAG, auth: 'admin',
    params: adminUserIdParamsSchema, response: z.object({ deleted: z.literal(true), user_id: z.string() }), resourceType: RESOURCE,
    handler: async ({ params, request }) => {
      await deps.users.delete(adminActorOf(request), params.user_id);
      return { deleted: true, user_id: params.user_id };
    },
  });
}
