import type { ActiveKey, ActiveKeyLookup } from '../domain/virtual-key-authenticator.ts';
import type { InsertKeyOutcome, NewVirtualKey, RotateKeyOutcome, VirtualKeyRecord, VirtualKeyStore } from '../domain/virtual-keys.ts';
import type { Database } from './database.ts';
import { VIRTUAL_KEY_COLUMNS, insertVirtualKey, missingNames, toVirtualKeyRecord, type VirtualKeyRow } from './tenancy-rows.ts';

/** Virtual keys in PostgreSQL: admin operations and the authentication lookup (by SHA-256, unique index). */
export class VirtualKeyRepository implements VirtualKeyStore, ActiveKeyLookup {
  constructor(private readonly db: Database) {}

  insert(key: NewVirtualKey): Promise<InsertKeyOutcome> {
    return this.db.transaction(async (tx): Promise<InsertKeyOutcome> => {
      const team = await tx.query('SELECT 1 FROM teams WHERE team_id = $1 AND deleted_at IS NULL FOR SHARE', [key.teamId]);
      if (team.length === 0) return { kind: 'team_not_found' };
      const unknown = await missingNames(tx, 'model_groups', key.allowedModelGroups ?? []);
      if (unknown.length > 0) return { kind: 'unknown_model_groups', names: unknown };
      return { kind: 'created', key: await insertVirtualKey(tx, key) };
    });
  }

  async listForTeam(teamId: string): Promise<VirtualKeyRecord[]> {
    const rows = await this.db.query<VirtualKeyRow>(
      `SELECT ${VIRTUAL_KEY_COLUMNS} FROM virtual_keys WHERE team_id = $1 ORDER BY created_at, key_id`, [teamId]);
    return rows.map(toVirtualKeyRecord);
  }

  async get(teamId: string, keyId: string): Promise<VirtualKeyRecord | null> {
    const rows = await this.db.query<VirtualKeyRow>(`SELECT ${VIRTUAL_KEY_COLUMNS} FROM virtual_keys WHERE team_id = $1 AND key_id = $2`, [teamId, keyId]);
    return rows[0] ? toVirtualKeyRecord(rows[0]) : null;
  }

  async revoke(teamId: string, keyId: string, at: Date): Promise<VirtualKeyRecord | null> {
    // COALESCE keeps the first revocation time: revoking twice is harmless.
    const rows = await this.db.query<VirtualKeyRow>(
      `UPDATE virtual_keys SET revoked_at = COALESCE(revoked_at, $3) WHERE team_id = $1 AND key_id = $2 RETURNING ${VIRTUAL_KEY_COLUMNS}`,
      [teamId, keyId, at],
    );
    return rows[0] ? toVirtualKeyRecord(rows[0]) : null;
  }

  rotate(teamId: string, keyId: string, replacement: NewVirtualKey, retire: { at: Date; graceUntil: Date | null }): Promise<RotateKeyOutcome> {
    return this.db.transaction(async (tx): Promise<RotateKeyOutcome> => {
      const current = await tx.query<VirtualKeyRow>(
        `SELECT ${VIRTUAL_KEY_COLUMNS} FROM virtual_keys WHERE team_id = $1 AND key_id = $2 FOR UPDATE`, [teamId, keyId]);
      if (!current[0]) return { kind: 'not_found' };
      const old = toVirtualKeyRecord(current[0]);
      if (old.revokedAt || (old.expiresAt && old.expiresAt <= retire.at)) return { kind: 'inactive', key: old };
      const created = await insertVirtualKey(tx, replacement);
      const retired = retire.graceUntil
        ? await tx.query<VirtualKeyRow>(
          `UPDATE virtual_keys SET expires_at = LEAST(COALESCE(expires_at, $3), $3) WHERE key_id = $1 AND team_id = $2 RETURNING ${VIRTUAL_KEY_COLUMNS}`,
          [keyId, teamId, retire.graceUntil])
        : await tx.query<VirtualKeyRow>(
          `UPDATE virtual_keys SET revoked_at = $3 WHERE key_id = $1 AND team_id = $2 RETURNING ${VIRTUAL_KEY_COLUMNS}`,
          [keyId, teamId, retire.at]);
      return { kind: 'rotated', created, retired: toVirtualKeyRecord(retired[0]!) };
    });
  }

  async findActiveByHash(keyHash: string): Promise<ActiveKey | null> {
    const rows = await this.db.query<VirtualKeyRow>(
      `SELECT ${VIRTUAL_KEY_COLUMNS.split(', ').map((column) => `k.${column}`).join(', ')}
         FROM virtual_keys k JOIN teams t ON t.team_id = k.team_id
        WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now()) AND t.deleted_at IS NULL`,
      [keyHash],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      key: {
        keyId: row.key_id, teamId: row.team_id, name: row.name, prefix: row.prefix, rpmLimit: row.rpm_limit, tpmLimit: row.tpm_limit,
        allowedModelGroups: row.allowed_model_groups,
      },
      expiresAt: row.expires_at,
    };
  }

  async recordUse(lastUsed: ReadonlyMap<string, Date>): Promise<void> {
    if (lastUsed.size === 0) return;
    const keyIds = [...lastUsed.keys()];
    const times = keyIds.map((keyId) => lastUsed.get(keyId)!.toISOString());
    // One statement for the whole batch; GREATEST so a late flush never moves last_used_at backwards.
    await this.db.query(
      `UPDATE virtual_keys AS k SET last_used_at = GREATEST(COALESCE(k.last_used_at, u.used_at), u.used_at)
         FROM unnest($1::uuid[], $2::timestamptz[]) AS u(key_id, used_at) WHERE k.key_id = u.key_id`,
      [keyIds, times],
    );
  }
}
