import { hash, randomBytes, randomUUID } from 'node:crypto';
import { conflict, invalid, notFound } from './errors.ts';

/** Every virtual key starts with this; the rest is base62 randomness. */
export const VIRTUAL_KEY_PREFIX = 'sk-sl-';
const RANDOM_LENGTH = 40; // 40 base62 chars ≈ 238 bits
const DISPLAY_RANDOM_CHARS = 6;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const KEY_SHAPE = /^sk-sl-[0-9A-Za-z]{32,128}$/;

/** A freshly generated key: the raw secret (shown once) and what is stored of it. */
export interface GeneratedKey {
  rawKey: string;
  keyHash: string;
  prefix: string;
}

/** `sk-sl-` + 40 uniformly random base62 characters (rejection sampling, so no modulo bias). */
export function generateVirtualKey(): GeneratedKey {
  let random = '';
  while (random.length < RANDOM_LENGTH) {
    for (const byte of randomBytes(64)) {
      // 248 = 4 × 62: bytes at or above it would favour the first characters.
      if (byte < 248 && random.length < RANDOM_LENGTH) random += BASE62[byte % 62];
    }
  }
  const rawKey = VIRTUAL_KEY_PREFIX + random;
  return { rawKey, keyHash: hashVirtualKey(rawKey), prefix: rawKey.slice(0, VIRTUAL_KEY_PREFIX.length + DISPLAY_RANDOM_CHARS) };
}

/** SHA-256 (hex) of a raw key: what the database stores and the cache is keyed by. One-shot: no Hash object per request. */
export function hashVirtualKey(rawKey: string): string {
  return hash('sha256', rawKey, 'hex');
}

/** Cheap shape check, so garbage never costs a hash, a cache slot or a database query. */
export function looksLikeVirtualKey(rawKey: string): boolean {
  return KEY_SHAPE.test(rawKey);
}

/** A virtual key as stored: never the key itself. */
export interface VirtualKeyRecord {
  keyId: string;
  teamId: string;
  name: string;
  prefix: string;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  rpmLimit: number | null;
  tpmLimit: number | null;
  allowedModelGroups: string[] | null;
}

export type VirtualKeyStatus = 'active' | 'revoked' | 'expired';

export function virtualKeyStatus(key: VirtualKeyRecord, now: Date): VirtualKeyStatus {
  if (key.revokedAt && key.revokedAt <= now) return 'revoked';
  if (key.expiresAt && key.expiresAt <= now) return 'expired';
  return 'active';
}

/** What a new key row holds. */
export interface NewVirtualKey {
  keyId: string;
  teamId: string;
  name: string;
  prefix: string;
  keyHash: string;
  expiresAt: Date | null;
  rpmLimit: number | null;
  tpmLimit: number | null;
  allowedModelGroups: string[] | null;
}

/** The optional settings of a key, as an operator gives them. */
export interface KeySettings {
  name?: string;
  expiresAt?: Date | null;
  rpmLimit?: number | null;
  tpmLimit?: number | null;
  allowedModelGroups?: string[] | null;
}

export type InsertKeyOutcome =
  | { kind: 'created'; key: VirtualKeyRecord }
  | { kind: 'team_not_found' }
  | { kind: 'unknown_model_groups'; names: string[] };

export type RotateKeyOutcome =
  | { kind: 'rotated'; created: VirtualKeyRecord; retired: VirtualKeyRecord }
  | { kind: 'not_found' }
  | { kind: 'inactive'; key: VirtualKeyRecord };

/** Port: virtual key rows. */
export interface VirtualKeyStore {
  /** Inserts a key for an existing, not deleted team; checks `allowedModelGroups` against the catalog. */
  insert(key: NewVirtualKey): Promise<InsertKeyOutcome>;
  listForTeam(teamId: string): Promise<VirtualKeyRecord[]>;
  get(teamId: string, keyId: string): Promise<VirtualKeyRecord | null>;
  /** Sets `revoked_at` unless already set; null when the key is not the team's. */
  revoke(teamId: string, keyId: string, at: Date): Promise<VirtualKeyRecord | null>;
  /**
   * In one transaction: inserts `replacement` and retires the active key `keyId` — revoked at `at`, or,
   * with `graceUntil`, expiring then (never later than it already would).
   */
  rotate(teamId: string, keyId: string, replacement: NewVirtualKey, retire: { at: Date; graceUntil: Date | null }): Promise<RotateKeyOutcome>;
}

/** Port: the in-process cache of authenticated keys, told about changes made through this process. */
export interface VirtualKeyCache {
  forgetKey(keyId: string): void;
  forgetTeam(teamId: string): void;
  forgetHash(keyHash: string): void;
}

/** Issues, lists, rotates and revokes a team's virtual keys. The raw key leaves only in creation results. */
export class VirtualKeyService {
  constructor(
    private readonly store: VirtualKeyStore,
    private readonly cache: VirtualKeyCache,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Builds a new key row (and its raw secret) for `teamId`; the caller stores it. */
  prepare(teamId: string, settings: KeySettings, defaultName: string): { row: NewVirtualKey; rawKey: string } {
    if (settings.expiresAt && settings.expiresAt <= this.now()) throw invalid('expires_at', 'must be in the future');
    const generated = generateVirtualKey();
    return {
      rawKey: generated.rawKey,
      row: {
        keyId: randomUUID(), teamId, name: settings.name ?? defaultName, prefix: generated.prefix, keyHash: generated.keyHash,
        expiresAt: settings.expiresAt ?? null, rpmLimit: settings.rpmLimit ?? null, tpmLimit: settings.tpmLimit ?? null,
        allowedModelGroups: settings.allowedModelGroups ?? null,
      },
    };
  }

  async create(teamId: string, settings: KeySettings): Promise<{ key: VirtualKeyRecord; rawKey: string }> {
    const { row, rawKey } = this.prepare(teamId, settings, 'default');
    const outcome = await this.store.insert(row);
    switch (outcome.kind) {
      case 'created':
        // A lookup of this hash may have been cached as unknown; the key must work at once here.
        this.cache.forgetHash(row.keyHash);
        return { key: outcome.key, rawKey };
      case 'team_not_found':
        throw notFound('Team', teamId);
      case 'unknown_model_groups':
        throw invalid('allowed_model_groups', `unknown model group${outcome.names.length > 1 ? 's' : ''} ${outcome.names.map((name) => `'${name}'`).join(', ')}`);
    }
  }

  async list(teamId: string): Promise<VirtualKeyRecord[]> {
    return this.store.listForTeam(teamId);
  }

  async revoke(teamId: string, keyId: string): Promise<VirtualKeyRecord> {
    const key = await this.store.revoke(teamId, keyId, this.now());
    if (!key) throw notFound('Virtual key', keyId);
    this.cache.forgetKey(keyId);
    return key;
  }

  /**
   * Replaces a key: the new one keeps the old one's name (unless given) and limits, and no expiry; the old
   * one stops now, or after `graceSeconds` so clients can switch over.
   */
  async rotate(teamId: string, keyId: string, options: { graceSeconds?: number; name?: string }): Promise<{ key: VirtualKeyRecord; rawKey: string; retired: VirtualKeyRecord }> {
    const current = await this.store.get(teamId, keyId);
    if (!current) throw notFound('Virtual key', keyId);
    const now = this.now();
    const { row, rawKey } = this.prepare(teamId, {
      name: options.name ?? current.name, rpmLimit: current.rpmLimit, tpmLimit: current.tpmLimit, allowedModelGroups: current.allowedModelGroups,
    }, current.name);
    const graceUntil = options.graceSeconds ? new Date(now.getTime() + options.graceSeconds * 1000) : null;
    const outcome = await this.store.rotate(teamId, keyId, row, { at: now, graceUntil });
    switch (outcome.kind) {
      case 'rotated':
        this.cache.forgetKey(keyId);
        this.cache.forgetHash(row.keyHash);
        return { key: outcome.created, rawKey, retired: outcome.retired };
      case 'not_found':
        throw notFound('Virtual key', keyId);
      case 'inactive':
        throw conflict(`Virtual key '${keyId}' is already ${virtualKeyStatus(outcome.key, now)}; create a new key instead of rotating it.`);
    }
  }
}
