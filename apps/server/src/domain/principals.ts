import type { AdminRole } from '@saas-llm/protocol';

/** Who is calling the admin plane. */
export interface AdminActor {
  type: 'master_key' | 'admin_user';
  /** `master-key`, or the admin user's id. */
  id: string;
  email: string | null;
  role: AdminRole;
  sessionId: string | null;
}

/** A team's virtual key, as authenticated on the client plane (cached; no database read per request). */
export interface AuthenticatedKey {
  keyId: string;
  teamId: string;
  name: string;
  prefix: string;
  rpmLimit: number | null;
  tpmLimit: number | null;
  allowedModelGroups: string[] | null;
}

/** Port: turns admin credentials into an actor. */
export interface AdminAuthenticator {
  /** Master key (X-Admin-Key or Bearer) or session token (Bearer or cookie); null when none is valid. */
  authenticate(credentials: { bearer: string | null; adminKey: string | null; sessionCookie: string | null }): Promise<AdminActor | null>;
}

/**
 * Port: turns a virtual key into its key record; null when missing, unknown, revoked or expired. Answers
 * from memory come back synchronously (no promise on the per-request path); lookups as a promise.
 */
export interface VirtualKeyAuthenticator {
  authenticate(rawKey: string): AuthenticatedKey | null | Promise<AuthenticatedKey | null>;
}

export interface AuditEntry {
  actor: AdminActor;
  action: string;
  resourceType: string;
  resourceId: string | null;
  ip: string | null;
  userAgent: string | null;
  diff: unknown;
  statusCode: number;
}

/** Port: the audit log of admin mutations. */
export interface AuditSink {
  record(entry: AuditEntry): Promise<void>;
}
