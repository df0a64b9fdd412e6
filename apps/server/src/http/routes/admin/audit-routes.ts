import type { FastifyInstance } from 'fastify';
import { auditLogPageSchema, auditQuerySchema, type AuditLogEntry } from '@saas-llm/protocol';
import type { AuditRecord, AuditService } from '../../../domain/audit-service.ts';
import { defineRoute, type RouteRegistry } from '../../route-registry.ts';
import { dateRangeOf } from './date-range-query.ts';

const DEFAULT_PAGE = 100;

function toAuditLogEntry(record: AuditRecord): AuditLogEntry {
  return {
    audit_id: record.auditId, actor_type: record.actorType, actor_id: record.actorId, actor_email: record.actorEmail,
    action: record.action, resource_type: record.resourceType, resource_id: record.resourceId, ip: record.ip, user_agent: record.userAgent,
    diff: record.diff, status_code: record.statusCode, created_at: record.createdAt.toISOString(),
  };
}

/** The audit log of admin mutations: newest first, filtered, cursor-paginated. */
export function registerAuditRoutes(app: FastifyInstance, registry: RouteRegistry, deps: { audit: AuditService }): void {
  defineRoute(app, registry, {
    method: 'GET', url: '/api/admin-users/audit-logs', summary: 'Audit log of admin mutations (newest first)', tag: 'audit', auth: 'admin',
    query: auditQuerySchema, response: auditLogPageSchema,
    handler: async ({ query }) => {
      const page = await deps.audit.list({
        actor: query.actor, resourceType: query.resource_type, ...dateRangeOf(query),
        cursor: query.cursor, limit: query.limit ?? DEFAULT_PAGE,
      });
      return { audit_logs: page.entries.map(toAuditLogEntry), next_cursor: page.nextCursor };
    },
  });
}
