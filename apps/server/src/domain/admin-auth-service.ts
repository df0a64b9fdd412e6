import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { AdminActor, AdminAuthenticator } from './principals.ts';
import type { AdminSessionRepository, AdminUserRecord, AdminUserRepository } from './admin-user-ports.ts';
import { DomainError } from './errors.ts';
import type { LoginRateLimiter } from './login-rate-limiter.ts';
import { hashPassword, verifyPassword } from './password-hashing.ts';

/** Session tokens start with this, so a leaked one is recognisable (secret scanners, log reviews). */
export const SESSION_TOKEN_PREFIX = 'sls_';
/** How long a validated session is trusted from memory: a logout or revoke reaches every instance within this. */
const SESSION_CACHE_MS = 1000;
const SESSION_CACHE_MAX = 10_000;
const INVALID_LOGIN_MESSAGE = 'Invalid email or password.';

export interface AdminAuthServiceOptions {
  masterKey: string | null;
  sessionTtlSeconds: number;
  users: AdminUserRepository;
  sessions: AdminSessionRepository;
  loginLimiter: LoginRateLimiter;
  now?: () => number;
}

/** A session just opened: the token is shown to the caller once and stored only as a hash. */
export interface OpenedSession {
  token: string;
  expiresAt: Date;
  user: AdminUserRecord;
}

export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

interface CachedSession {
  actor: AdminActor;
  sessionExpiresAt: number;
  trustedUntil: number;
}

const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * Admin authentication: the master key (constant-time compare) and login sessions (random tokens
 * stored hashed, expiring, revocable). Implements the `AdminAuthenticator` port of the auth hook.
 */
export class AdminAuthService implements AdminAuthenticator {
  private readonly masterKeyDigest: Buffer | null;
  private readonly now: () => number;
  private readonly cache = new Map<string, CachedSession>();
  /** A hash verified when the email is unknown, so a miss costs the same time as a wrong password. */
  private decoyHash: Promise<string> | null = null;

  constructor(private readonly options: AdminAuthServiceOptions) {
    this.masterKeyDigest = options.masterKey ? sha256(options.masterKey) : null;
    this.now = options.now ?? Date.now;
  }

  async authenticate(credentials: { bearer: string | null; adminKey: string | null; sessionCookie: string | null }): Promise<AdminActor | null> {
    // An explicit credential that is wrong fails: it never falls back to a cookie the browser also sent.
    if (credentials.adminKey) return this.masterKeyActor(credentials.adminKey);
    if (credentials.bearer) {
      return credentials.bearer.startsWith(SESSION_TOKEN_PREFIX) ? this.sessionActor(credentials.bearer) : this.masterKeyActor(credentials.bearer);
    }
    if (credentials.sessionCookie) return this.sessionActor(credentials.sessionCookie);
    return null;
  }

  /** Checks email and password (throttled), then opens a session. Every failure reads the same. */
  async login(email: string, password: string, client: ClientInfo): Promise<OpenedSession> {
    const limiter = this.options.loginLimiter;
    limiter.assertAllowed(email, client.ip);
    const user = await this.options.users.findByEmail(email);
    const matches = await verifyPassword(password, user?.passwordHash ?? (await this.decoy()));
    if (!user || !matches || user.status !== 'active') {
      limiter.recordFailure(email, client.ip);
      throw new DomainError('invalid_api_key', INVALID_LOGIN_MESSAGE);
    }
    limiter.recordSuccess(email);
    await this.options.users.touchLastLogin(user.userId);
    return this.open(user, client);
  }

  /** Opens a session for a user already verified (login, first-owner setup). */
  async open(user: AdminUserRecord, client: ClientInfo): Promise<OpenedSession> {
    const token = SESSION_TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const expiresAt = new Date(this.now() + this.options.sessionTtlSeconds * 1000);
    await this.options.sessions.create({
      sessionId: randomUUID(), userId: user.userId, tokenHash: sha256(token).toString('hex'), expiresAt, ip: client.ip, userAgent: client.userAgent,
    });
    return { token, expiresAt, user };
  }

  /** Ends one session at once on this instance, and on the others within the cache time. */
  async logout(actor: AdminActor): Promise<void> {
    if (!actor.sessionId) return;
    await this.options.sessions.revoke(actor.sessionId);
    this.forgetSession(actor.sessionId);
  }

  /** Ends every session of a user but `keepSessionId` (password change, disable, delete). */
  async revokeUserSessions(userId: string, keepSessionId: string | null): Promise<void> {
    await this.options.sessions.revokeAllForUser(userId, keepSessionId);
    this.forgetUser(userId);
  }

  /** Drops cached sessions of a user whose role or status changed, so the change applies at once here. */
  forgetUser(userId: string): void {
    for (const [hash, cached] of this.cache) if (cached.actor.id === userId) this.cache.delete(hash);
  }

  /** Verifies a password for a known user, throttled like logins (a stolen session must not brute-force it). */
  async verifyUserPassword(user: AdminUserRecord, password: string, client: ClientInfo): Promise<boolean> {
    this.options.loginLimiter.assertAllowed(user.email, client.ip);
    const matches = await verifyPassword(password, user.passwordHash);
    if (!matches) this.options.loginLimiter.recordFailure(user.email, client.ip);
    return matches;
  }

  private masterKeyActor(presented: string): AdminActor | null {
    if (!this.masterKeyDigest) return null;
    // Comparing digests keeps the compare constant-time whatever the presented length.
    if (!timingSafeEqual(sha256(presented), this.masterKeyDigest)) return null;
    return { type: 'master_key', id: 'master-key', email: null, role: 'owner', sessionId: null };
  }

  private async sessionActor(token: string): Promise<AdminActor | null> {
    if (!token.startsWith(SESSION_TOKEN_PREFIX) || token.length > 200) return null;
    const tokenHash = sha256(token).toString('hex');
    const now = this.now();
    const cached = this.cache.get(tokenHash);
    if (cached && cached.trustedUntil > now && cached.sessionExpiresAt > now) return cached.actor;
    this.cache.delete(tokenHash);
    const session = await this.options.sessions.findActive(tokenHash);
    if (!session) return null;
    const actor: AdminActor = { type: 'admin_user', id: session.user.userId, email: session.user.email, role: session.user.role, sessionId: session.sessionId };
    if (this.cache.size >= SESSION_CACHE_MAX) this.sweepCache(now);
    this.cache.set(tokenHash, { actor, sessionExpiresAt: session.expiresAt.getTime(), trustedUntil: now + SESSION_CACHE_MS });
    return actor;
  }

  private forgetSession(sessionId: string): void {
    for (const [hash, cached] of this.cache) if (cached.actor.sessionId === sessionId) this.cache.delete(hash);
  }

  private sweepCache(now: number): void {
    for (const [hash, cached] of this.cache) if (cached.trustedUntil <= now) this.cache.delete(hash);
    if (this.cache.size >= SESSION_CACHE_MAX) this.cache.clear();
  }

  private decoy(): Promise<string> {
    this.decoyHash ??= hashPassword(randomBytes(16).toString('hex'));
    return this.decoyHash;
  }
}
