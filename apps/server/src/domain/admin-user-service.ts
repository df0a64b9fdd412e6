import { randomUUID } from 'node:crypto';
import type { AdminRole } from '@saas-llm/protocol';
import type { AdminAuthService, ClientInfo, OpenedSession } from './admin-auth-service.ts';
import type { AdminUserChanges, AdminUserRecord, AdminUserRepository, AdminUserStatus, LockedAdminUsers } from './admin-user-ports.ts';
import { DomainError, conflict, notFound } from './errors.ts';
import { hashPassword } from './password-hashing.ts';
import type { AdminActor } from './principals.ts';

export interface AdminUserInput {
  email: string;
  password: string;
  name?: string | undefined;
  role: AdminRole;
}

export interface AdminUserUpdate {
  name?: string | undefined;
  role?: AdminRole | undefined;
  status?: AdminUserStatus | undefined;
  password?: string | undefined;
}

const LAST_OWNER_MESSAGE = 'This is the last active owner: promote another owner first.';

/**
 * Admin users and the role rules the auth hook cannot see from the route alone: an admin may not
 * create, change or delete an owner, nor make anyone an owner; nobody may remove the last active owner.
 * Checks and writes run under the repository's lock, so two concurrent requests cannot both pass a check.
 */
export class AdminUserService {
  constructor(private readonly users: AdminUserRepository, private readonly auth: AdminAuthService) {}

  async needsSetup(): Promise<boolean> {
    return !(await this.users.exists());
  }

  /** Creates the first owner and opens a session for them; 409 once any admin user exists. */
  async setupFirstOwner(input: Omit<AdminUserInput, 'role'>, client: ClientInfo): Promise<OpenedSession> {
    // Hash before taking the lock: scrypt is the slow part and must not serialise other writers.
    const passwordHash = await hashPassword(input.password);
    const user = await this.users.locked(async (users) => {
      if ((await users.count()) > 0) throw conflict('Setup is already done: an admin user exists. Log in instead.');
      return users.insert({ userId: randomUUID(), email: input.email, name: input.name ?? nameFromEmail(input.email), role: 'owner', passwordHash });
    });
    return this.auth.open(user, client);
  }

  list(): Promise<AdminUserRecord[]> {
    return this.users.list();
  }

  async get(userId: string): Promise<AdminUserRecord> {
    const user = await this.users.findById(userId);
    if (!user) throw notFound('Admin user', userId);
    return user;
  }

  async create(actor: AdminActor, input: AdminUserInput): Promise<AdminUserRecord> {
    assertMayManage(actor);
    if (input.role === 'owner' && actor.role !== 'owner') throw new DomainError('forbidden', 'Only an owner may create an owner.');
    const passwordHash = await hashPassword(input.password);
    return this.users.locked(async (users) => {
      if (await users.findByEmail(input.email)) throw conflict(`An admin user with email '${input.email}' already exists.`);
      return users.insert({ userId: randomUUID(), email: input.email, name: input.name ?? nameFromEmail(input.email), role: input.role, passwordHash });
    });
  }

  async update(actor: AdminActor, userId: string, update: AdminUserUpdate): Promise<AdminUserRecord> {
    assertMayManage(actor);
    if (update.role === 'owner' && actor.role !== 'owner') throw new DomainError('forbidden', 'Only an owner may make someone an owner.');
    const changes: AdminUserChanges = {};
    if (update.name !== undefined) changes.name = update.name;
    if (update.role !== undefined) changes.role = update.role;
    if (update.status !== undefined) changes.status = update.status;
    if (update.password !== undefined) changes.passwordHash = await hashPassword(update.password);
    const updated = await this.users.locked(async (users) => {
      const target = await this.lockedTarget(users, actor, userId);
      const losesOwnership = target.role === 'owner' && target.status === 'active'
        && ((changes.role !== undefined && changes.role !== 'owner') || changes.status === 'disabled');
      if (losesOwnership && (await users.countActiveOwners()) <= 1) throw conflict(LAST_OWNER_MESSAGE);
      return users.update(userId, changes);
    });
    // A new password or a disabled account ends every session; a role change applies on the next request.
    if (changes.passwordHash !== undefined || changes.status === 'disabled') await this.auth.revokeUserSessions(userId, null);
    else this.auth.forgetUser(userId);
    return updated;
  }

  async delete(actor: AdminActor, userId: string): Promise<void> {
    assertMayManage(actor);
    await this.users.locked(async (users) => {
      const target = await this.lockedTarget(users, actor, userId);
      if (target.role === 'owner' && target.status === 'active' && (await users.countActiveOwners()) <= 1) throw conflict(LAST_OWNER_MESSAGE);
      await users.delete(userId);
    });
    // Sessions go with the row (ON DELETE CASCADE); drop what this instance still trusts.
    this.auth.forgetUser(userId);
  }

  /** Changes the caller's own password and ends their other sessions; the current one stays valid. */
  async changeOwnPassword(actor: AdminActor, currentPassword: string, newPassword: string, client: ClientInfo): Promise<void> {
    if (actor.type !== 'admin_user') throw new DomainError('invalid_request', 'The master key has no password to change; log in as an admin user.');
    const user = await this.get(actor.id);
    if (!(await this.auth.verifyUserPassword(user, currentPassword, client))) {
      throw new DomainError('invalid_request', 'The current password is not correct.', 'current_password');
    }
    if (currentPassword === newPassword) throw new DomainError('invalid_request', 'The new password must differ from the current one.', 'new_password');
    const passwordHash = await hashPassword(newPassword);
    await this.users.locked((users) => users.update(user.userId, { passwordHash }));
    await this.auth.revokeUserSessions(user.userId, actor.sessionId);
  }

  private async lockedTarget(users: LockedAdminUsers, actor: AdminActor, userId: string): Promise<AdminUserRecord> {
    const target = await users.findById(userId);
    if (!target) throw notFound('Admin user', userId);
    if (target.role === 'owner' && actor.role !== 'owner') throw new DomainError('forbidden', 'Only an owner may change or delete an owner.');
    return target;
  }
}

/** Defence in depth: the auth hook already keeps viewers away from every mutation. */
function assertMayManage(actor: AdminActor): void {
  if (actor.role === 'viewer') throw new DomainError('forbidden', 'Your admin role (viewer) is read-only.');
}

function nameFromEmail(email: string): string {
  return email.split('@')[0] || email;
}
