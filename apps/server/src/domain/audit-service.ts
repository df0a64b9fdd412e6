import type { AdminActor, AuditEntry, AuditSink } from './principals.ts';
import { invalid } from './errors.ts';
import { redactSecrets } from './redaction.ts';

/** One stored audit row: an entry with its actor flattened into columns. */
export interface AuditRecord extends Omit<AuditEntry, 'actor' | 'statusCode'> {
  auditId: number;
  actorType: 'master_key' | 'admin_user' | 'system';
  actorId: string;
  actorEmail: string | null;
  statusCode: number | null;
  createdAt: Date;
}

export interface AuditFilter {
  /** An actor id (`master-key`, a user id) or an admin user's email. */
  actor?: string | undefined;
  resourceType?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  /** Rows older than this audit id (the previous page's last). */
  beforeId?: number | undefined;
  limit: number;
}

/** Port: the append-only audit log table. */
export interface AuditLogRepository {
  insert(row: Omit<AuditRecord, 'auditId' | 'createdAt'>): Promise<void>;
  /** Newest first. */
  list(filter: AuditFilter): Promise<AuditRecord[]>;
}

export interface AuditPage {
  entries: AuditRecord[];
  nextCursor: string | null;
}

const MAX_FIELD = 1000;
const MAX_DIFF_BYTES = 64 * 1024;

/** The audit log: records admin mutations (implements the `AuditSink` port) and pages through them. */
export class AuditService implements AuditSink {
  constructor(private readonly log: AuditLogRepository) {}

  async record(entry: AuditEntry): Promise<void> {
    await this.log.insert({
      actorType: entry.actor.type,
      actorId: entry.actor.id,
      actorEmail: entry.actor.email,
      action: entry.action.slice(0, MAX_FIELD),
      resourceType: entry.resourceType.slice(0, 100),
      resourceId: entry.resourceId?.slice(0, MAX_FIELD) ?? null,
      ip: entry.ip,
      userAgent: entry.userAgent?.slice(0, MAX_FIELD) ?? null,
      diff: boundedDiff(entry.diff),
      statusCode: entry.statusCode,
    });
  }

  /** Records an action a handler performs itself (login, logout, a viewer's own password change). */
  recordAction(actor: AdminActor, action: string, resourceType: string, resourceId: string | null, client: { ip: string | null; userAgent: string | null }, statusCode = 200): Promise<void> {
    return this.record({ actor, action, resourceType, resourceId, ip: client.ip, userAgent: client.userAgent, diff: null, statusCode });
  }

  async list(filter: Omit<AuditFilter, 'beforeId'> & { cursor?: string | undefined }): Promise<AuditPage> {
    const beforeId = filter.cursor === undefined ? undefined : decodeCursor(filter.cursor);
    const rows = await this.log.list({ ...filter, beforeId, limit: filter.limit + 1 });
    const entries = rows.slice(0, filter.limit);
    const last = entries[entries.length - 1];
    return { entries, nextCursor: rows.length > filter.limit && last ? String(last.auditId) : null };
  }
}

/**
 * Redacted and size-capped: callers redact already, but redacting again keeps a forgotten call site from
 * storing a secret; the cap keeps a 10 MB request body from landing in the audit table.
 */
function boundedDiff(diff: unknown): unknown {
  if (diff === undefined || diff === null) return null;
  const redacted = redactSecrets(diff);
  const bytes = Buffer.byteLength(JSON.stringify(redacted) ?? '', 'utf8');
  return bytes > MAX_DIFF_BYTES ? { truncated: true, bytes } : redacted;
}

function decodeCursor(cursor: string): number {
  if (!/^\d{1,15}$/.test(cursor)) throw invalid('cursor', 'is not a cursor this endpoint returned');
  return Number(cursor);
}
