import type { AuditFilter, AuditLogRepository, AuditRecord } from '../domain/audit-service.ts';
import type { Queryable } from './database.ts';

/** The audit log in PostgreSQL/PGlite: insert-only from the application's side. */
export class PgAuditLogStore implements AuditLogRepository {
  constructor(private readonly db: Queryable) {}

  async insert(row: Omit<AuditRecord, 'auditId' | 'createdAt'>): Promise<void> {
    await this.db.query(
      `INSERT INTO audit_log (actor_type, actor_id, actor_email, action, resource_type, resource_id, ip, user_agent, diff, status_code)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10)`,
      [row.actorType, row.actorId, row.actorEmail, row.action, row.resourceType, row.resourceId, row.ip, row.userAgent,
        row.diff === null ? null : JSON.stringify(row.diff), row.statusCode],
    );
  }

  list(filter: AuditFilter): Promise<AuditRecord[]> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown) => `$${params.push(value)}`;
    if (filter.actor !== undefined) {
      const actor = param(filter.actor);
      conditions.push(`(actor_id = ${actor} OR lower(actor_email) = lower(${actor}))`);
    }
    if (filter.resourceType !== undefined) conditions.push(`resource_type = ${param(filter.resourceType)}`);
    if (filter.from !== undefined) conditions.push(`created_at >= ${param(filter.from)}`);
    if (filter.to !== undefined) conditions.push(`created_at < ${param(filter.to)}`);
    if (filter.beforeId !== undefined) conditions.push(`audit_id < ${param(filter.beforeId)}`);
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    // audit_id grows with time, so it is both the order and an exact cursor.
    return this.db.query<AuditRecord>(
      `SELECT audit_id AS "auditId", actor_type AS "actorType", actor_id AS "actorId", actor_email AS "actorEmail", action,
              resource_type AS "resourceType", resource_id AS "resourceId", ip, user_agent AS "userAgent", diff,
              status_code AS "statusCode", created_at AS "createdAt"
       FROM audit_log ${where} ORDER BY audit_id DESC LIMIT ${param(filter.limit)}`,
      params,
    );
  }
}
