import type { AdminRole } from '@saas-llm/protocol';

export type AdminUserStatus = 'active' | 'disabled';

/** An admin user as stored; `passwordHash` never leaves the domain. */
export interface AdminUserRecord {
  userId: string;
  email: string;
  name: string;
  role: AdminRole;
  status: AdminUserStatus;
  passwordHash: string;
  createdAt: Date;
  updatedAt: Date;
  lastLoginAt: Date | null;
}

export interface NewAdminUser {
  userId: string;
  email: string;
  name: string;
  role: AdminRole;
  passwordHash: string;
}

export interface AdminUserChanges {
  name?: string;
  role?: AdminRole;
  status?: AdminUserStatus;
  passwordHash?: string;
}

/** The admin users, read and written while every other change to them waits (see `AdminUserRepository.locked`). */
export interface LockedAdminUsers {
  count(): Promise<number>;
  countActiveOwners(): Promise<number>;
  findById(userId: string): Promise<AdminUserRecord | null>;
  findByEmail(email: string): Promise<AdminUserRecord | null>;
  insert(user: NewAdminUser): Promise<AdminUserRecord>;
  update(userId: string, changes: AdminUserChanges): Promise<AdminUserRecord>;
  delete(userId: string): Promise<void>;
}

/** Port: storage of admin users. */
export interface AdminUserRepository {
  /** Whether any admin user exists (setup is open until one does). */
  exists(): Promise<boolean>;
  findById(userId: string): Promise<AdminUserRecord | null>;
  /** Case-insensitive. */
  findByEmail(email: string): Promise<AdminUserRecord | null>;
  list(): Promise<AdminUserRecord[]>;
  touchLastLogin(userId: string): Promise<void>;
  /**
   * Runs `work` in one transaction that excludes every other `locked` run, on every instance, so rules
   * that span rows (first owner only, never zero active owners) hold under concurrency.
   */
  locked<T>(work: (users: LockedAdminUsers) => Promise<T>): Promise<T>;
}

/** A live session with its user, as found by its token hash. */
export interface ActiveAdminSession {
  sessionId: string;
  expiresAt: Date;
  user: AdminUserRecord;
}

/** Port: admin sessions, stored by the SHA-256 of their token only. */
export interface AdminSessionRepository {
  create(session: { sessionId: string; userId: string; tokenHash: string; expiresAt: Date; ip: string | null; userAgent: string | null }): Promise<void>;
  /** The session when it is unrevoked, unexpired and its user active; else null. */
  findActive(tokenHash: string): Promise<ActiveAdminSession | null>;
  revoke(sessionId: string): Promise<void>;
  /** Revokes every open session of the user except `keepSessionId`; returns how many. */
  revokeAllForUser(userId: string, keepSessionId: string | null): Promise<number>;
}
