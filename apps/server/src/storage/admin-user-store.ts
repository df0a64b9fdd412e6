import type {
  ActiveAdminSession, AdminSessionRepository, AdminUserChanges, AdminUserRecord, AdminUserRepository, LockedAdminUsers, NewAdminUser,
} from '../domain/admin-user-ports.ts';
import { conflict } from '../domain/errors.ts';
import { PG_UNIQUE_VIOLATION, pgErrorCode, type Database, type Queryable } from './database.ts';

// Arbitrary constant shared by every instance: serialises changes to admin users (first owner, last owner).
const ADMIN_USERS_LOCK_ID = 803_2027;

const USER_COLUMNS = `user_id AS "userId", email, name, role, status, password_hash AS "passwordHash",
  created_at AS "createdAt", updated_at AS "updatedAt", last_login_at AS "lastLoginAt"`;

/** Reads that work the same inside and outside the lock. */
class AdminUserQueries {
  constructor(protected readonly db: Queryable) {}

  async findById(userId: string): Promise<AdminUserRecord | null> {
    const rows = await this.db.query<AdminUserRecord>(`SELECT ${USER_COLUMNS} FROM admin_users WHERE user_id = $1`, [userId]);
    return rows[0] ?? null;
  }

  async findByEmail(email: string): Promise<AdminUserRecord | null> {
    const rows = await this.db.query<AdminUserRecord>(`SELECT ${USER_COLUMNS} FROM admin_users WHERE lower(email) = lower($1)`, [email]);
    return rows[0] ?? null;
  }
}

class LockedAdminUserQueries extends AdminUserQueries implements LockedAdminUsers {
  async count(): Promise<number> {
    const rows = await this.db.query<{ count: number }>('SELECT count(*)::int AS count FROM admin_users');
    return rows[0]!.count;
  }

  async countActiveOwners(): Promise<number> {
    const rows = await this.db.query<{ count: number }>("SELECT count(*)::int AS count FROM admin_users WHERE role = 'owner' AND status = 'active'");
    return rows[0]!.count;
  }

  async insert(user: NewAdminUser): Promise<AdminUserRecord> {
    try {
      const rows = await this.db.query<AdminUserRecord>(
        `INSERT INTO admin_users (user_id, email, name, role, password_hash) VALUES ($1, $2, $3, $4, $5) RETURNING ${USER_COLUMNS}`,
        [user.userId, user.email, user.name, user.role, user.passwordHash],
      );
      return rows[0]!;
    } catch (error) {
      if (pgErrorCode(error) === PG_UNIQUE_VIOLATION) throw conflict(`An admin user with email '${user.email}' already exists.`);
      throw error;
    }
  }

  async update(userId: string, changes: AdminUserChanges): Promise<AdminUserRecord> {
    const rows = await this.db.query<AdminUserRecord>(
      `UPDATE admin_users SET name = coalesce($2, name), role = coalesce($3, role), status = coalesce($4, status),
         password_hash = coalesce($5, password_hash), updated_at = now()
       WHERE user_id = $1 RETURNING ${USER_COLUMNS}`,
      [userId, changes.name ?? null, changes.role ?? null, changes.status ?? null, changes.passwordHash ?? null],
    );
    return rows[0]!;
  }

  async delete(userId: string): Promise<void> {
    await this.db.query('DELETE FROM admin_users WHERE user_id = $1', [userId]);
  }
}

/** Admin users in PostgreSQL/PGlite. */
export class PgAdminUserStore extends AdminUserQueries implements AdminUserRepository {
  constructor(private readonly database: Database) {
    super(database);
  }

  async exists(): Promise<boolean> {
    const rows = await this.database.query<{ found: boolean }>('SELECT EXISTS (SELECT 1 FROM admin_users) AS found');
    return rows[0]!.found;
  }

  list(): Promise<AdminUserRecord[]> {
    return this.database.query<AdminUserRecord>(`SELECT ${USER_COLUMNS} FROM admin_users ORDER BY created_at, email`);
  }

  async touchLastLogin(userId: string): Promise<void> {
    await this.database.query('UPDATE admin_users SET last_login_at = now() WHERE user_id = $1', [userId]);
  }

  locked<T>(work: (users: LockedAdminUsers) => Promise<T>): Promise<T> {
    return this.database.transaction(async (tx) => {
      // Transaction-scoped advisory lock: held until commit/rollback, on every instance sharing the database.
      await tx.query('SELECT pg_advisory_xact_lock($1)', [ADMIN_USERS_LOCK_ID]);
      return work(new LockedAdminUserQueries(tx));
    });
  }
}

/** Admin sessions in PostgreSQL/PGlite, by token hash. */
export class PgAdminSessionStore implements AdminSessionRepository {
  constructor(private readonly db: Database) {}

  async create(session: { sessionId: string; userId: string; tokenHash: string; expiresAt: Date; ip: string | null; userAgent: string | null }): Promise<void> {
    await this.db.query(
      'INSERT INTO admin_sessions (session_id, user_id, token_hash, expires_at, ip, user_agent) VALUES ($1, $2, $3, $4, $5, $6)',
      [session.sessionId, session.userId, session.tokenHash, session.expiresAt, session.ip, session.userAgent?.slice(0, 1000) ?? null],
    );
    // Keep the table small: a user's sessions that ended more than a day ago are of no further use.
    await this.db.query("DELETE FROM admin_sessions WHERE user_id = $1 AND (expires_at < now() - interval '1 day' OR revoked_at < now() - interval '1 day')", [session.userId]);
  }

  async findActive(tokenHash: string): Promise<ActiveAdminSession | null> {
    const rows = await this.db.query<{ sessionId: string; expiresAt: Date } & AdminUserRecord>(
      `SELECT s.session_id AS "sessionId", s.expires_at AS "expiresAt", u.user_id AS "userId", u.email, u.name, u.role, u.status,
              u.password_hash AS "passwordHash", u.created_at AS "createdAt", u.updated_at AS "updatedAt", u.last_login_at AS "lastLoginAt"
       FROM admin_sessions s JOIN admin_users u ON u.user_id = s.user_id
       WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now() AND u.status = 'active'`,
      [tokenHash],
    );
    const row = rows[0];
    if (!row) return null;
    const { sessionId, expiresAt, ...user } = row;
    return { sessionId, expiresAt, user };
  }

  async revoke(sessionId: string): Promise<void> {
    await this.db.query('UPDATE admin_sessions SET revoked_at = now() WHERE session_id = $1 AND revoked_at IS NULL', [sessionId]);
  }

  async revokeAllForUser(userId: string, keepSessionId: string | null): Promise<number> {
    const rows = await this.db.query(
      'UPDATE admin_sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL AND ($2::uuid IS NULL OR session_id <> $2::uuid) RETURNING session_id',
      [userId, keepSessionId],
    );
    return rows.length;
  }
}
