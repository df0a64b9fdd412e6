import { pathOf, type HttpTransport, type RequestOptions } from './http-transport.ts';
import type {
  Acknowledgement, AdminLogin, AdminMe, AdminSession, AdminSetup, AdminUser, AdminUserCreate, AdminUserList, AdminUserUpdate,
  AuditLogPage, AuditLogQuery, ChangePassword,
} from './admin-types.ts';

/** Admin users, their sessions, and the audit log of admin mutations. */
export class AdminUsersResource {
  constructor(private readonly http: HttpTransport) {}

  /** Whether the first owner still has to be created. `GET /api/admin-users/setup/status` */
  setupStatus(options?: RequestOptions): Promise<{ needs_setup: boolean }> {
    return this.http.request({ ...options, method: 'GET', path: '/api/admin-users/setup/status' });
  }

  /** Creates the first owner and logs it in; refused once any admin user exists. `POST /api/admin-users/setup` */
  setup(body: AdminSetup, options?: RequestOptions): Promise<AdminSession> {
    return this.http.request({ ...options, method: 'POST', path: '/api/admin-users/setup', body });
  }

  /**
   * Logs in with email and password. Pass the returned `token` as `sessionToken` to a new
   * `SaaSLLMAdminClient`; in the console the session cookie set by this answer is enough.
   * `POST /api/admin-users/login`
   */
  login(body: AdminLogin, options?: RequestOptions): Promise<AdminSession> {
    return this.http.request({ ...options, method: 'POST', path: '/api/admin-users/login', body });
  }

  /** Revokes the current session and clears the session cookie. `POST /api/admin-users/logout` */
  logout(options?: RequestOptions): Promise<Acknowledgement> {
    return this.http.request({ ...options, method: 'POST', path: '/api/admin-users/logout', idempotent: true });
  }

  /** The caller: the master key or the admin user behind the session, with its role. `GET /api/admin-users/me` */
  me(options?: RequestOptions): Promise<AdminMe> {
    return this.http.request({ ...options, method: 'GET', path: '/api/admin-users/me' });
  }

  /** Changes the caller's password and ends its other sessions. `POST /api/admin-users/me/change-password` */
  changePassword(body: ChangePassword, options?: RequestOptions): Promise<Acknowledgement> {
    return this.http.request({ ...options, method: 'POST', path: '/api/admin-users/me/change-password', body });
  }

  /** Lists admin users. `GET /api/admin-users` */
  list(options?: RequestOptions): Promise<AdminUserList> {
    return this.http.request({ ...options, method: 'GET', path: '/api/admin-users' });
  }

  /** Creates an admin user with a role (only owners may create owners). `POST /api/admin-users` */
  create(body: AdminUserCreate, options?: RequestOptions): Promise<AdminUser> {
    return this.http.request({ ...options, method: 'POST', path: '/api/admin-users', body });
  }

  /** Changes an admin user's name, role, status or password. `PUT /api/admin-users/{user_id}` */
  update(userId: string, body: AdminUserUpdate, options?: RequestOptions): Promise<AdminUser> {
    return this.http.request({ ...options, method: 'PUT', path: pathOf('api', 'admin-users', userId), body });
  }

  /** Deletes an admin user (never the last active owner). `DELETE /api/admin-users/{user_id}` */
  delete(userId: string, options?: RequestOptions): Promise<{ deleted: true; user_id: string }> {
    return this.http.request({ ...options, method: 'DELETE', path: pathOf('api', 'admin-users', userId) });
  }

  /**
   * One page of the audit log, newest first (who changed what, when, from where, with a redacted diff),
   * filtered by actor, resource type and time. `GET /api/admin-users/audit-logs`
   */
  auditLogs(query: AuditLogQuery = {}, options?: RequestOptions): Promise<AuditLogPage> {
    return this.http.request({ ...options, method: 'GET', path: '/api/admin-users/audit-logs', query: { ...query } });
  }
}
