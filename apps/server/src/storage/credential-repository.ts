import type { CredentialChanges, CredentialRecord, CredentialRepository, DeleteOutcome, NewCredential } from '../domain/catalog-ports.ts';
import { conflict, invalid } from '../domain/errors.ts';
import { PG_FOREIGN_KEY_VIOLATION, PG_UNIQUE_VIOLATION, pgErrorCode, type Database } from './database.ts';

export const CREDENTIAL_COLUMNS = `credential_id AS "credentialId", provider, name, secret_ciphertext AS "secretCiphertext",
  secret_last4 AS "secretLast4", api_base AS "apiBase", api_version AS "apiVersion",
  extra_headers_ciphertext AS "extraHeadersCiphertext", organization_id AS "organizationId", active,
  created_at AS "createdAt", updated_at AS "updatedAt"`;

/** Provider credentials in PostgreSQL; secrets arrive and leave as ciphertext only. */
export class PgCredentialRepository implements CredentialRepository {
  constructor(private readonly db: Database) {}

  list(): Promise<CredentialRecord[]> {
    return this.db.query<CredentialRecord>(`SELECT ${CREDENTIAL_COLUMNS} FROM provider_credentials ORDER BY name`);
  }

  async find(credentialId: string): Promise<CredentialRecord | null> {
    const rows = await this.db.query<CredentialRecord>(`SELECT ${CREDENTIAL_COLUMNS} FROM provider_credentials WHERE credential_id = $1`, [credentialId]);
    return rows[0] ?? null;
  }

  async insert(credential: NewCredential): Promise<CredentialRecord> {
    const rows = await this.db.query<CredentialRecord>(
      `INSERT INTO provider_credentials (credential_id, provider, name, secret_ciphertext, secret_last4, api_base, api_version,
         extra_headers_ciphertext, organization_id, active)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${CREDENTIAL_COLUMNS}`,
      [credential.credentialId, credential.provider, credential.name, credential.secretCiphertext, credential.secretLast4, credential.apiBase,
        credential.apiVersion, credential.extraHeadersCiphertext, credential.organizationId, credential.active],
    ).catch((error: unknown) => { throw mapWriteError(error, credential.name, credential.organizationId); });
    return rows[0]!;
  }

  async update(credentialId: string, changes: CredentialChanges): Promise<CredentialRecord | null> {
    const params: unknown[] = [credentialId];
    const sets: string[] = [];
    const set = (column: string, value: unknown) => { params.push(value); sets.push(`${column} = $${params.length}`); };
    if (changes.name !== undefined) set('name', changes.name);
    if (changes.secretCiphertext !== undefined) set('secret_ciphertext', changes.secretCiphertext);
    if (changes.secretLast4 !== undefined) set('secret_last4', changes.secretLast4);
    if (changes.apiBase !== undefined) set('api_base', changes.apiBase);
    if (changes.apiVersion !== undefined) set('api_version', changes.apiVersion);
    if (changes.extraHeadersCiphertext !== undefined) set('extra_headers_ciphertext', changes.extraHeadersCiphertext);
    if (changes.organizationId !== undefined) set('organization_id', changes.organizationId);
    if (changes.active !== undefined) set('active', changes.active);
    const rows = await this.db.query<CredentialRecord>(
      `UPDATE provider_credentials SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE credential_id = $1 RETURNING ${CREDENTIAL_COLUMNS}`, params,
    ).catch((error: unknown) => { throw mapWriteError(error, changes.name ?? '', changes.organizationId ?? null); });
    return rows[0] ?? null;
  }

  delete(credentialId: string): Promise<DeleteOutcome<string[]>> {
    return this.db.transaction(async (tx): Promise<DeleteOutcome<string[]>> => {
      // The row lock orders this against a deployment being pointed at the credential (its FK check takes a share lock).
      const found = await tx.query('SELECT 1 FROM provider_credentials WHERE credential_id = $1 FOR UPDATE', [credentialId]);
      if (found.length === 0) return { kind: 'not_found' };
      const users = await tx.query<{ alias: string }>('SELECT alias FROM deployments WHERE credential_id = $1 ORDER BY alias', [credentialId]);
      if (users.length > 0) return { kind: 'in_use', usedBy: users.map((row) => row.alias) };
      await tx.query('DELETE FROM provider_credentials WHERE credential_id = $1', [credentialId]);
      return { kind: 'deleted' };
    });
  }
}

function mapWriteError(error: unknown, name: string, organizationId: string | null): unknown {
  const code = pgErrorCode(error);
  if (code === PG_UNIQUE_VIOLATION) return conflict(`A provider credential named '${name}' already exists.`);
  if (code === PG_FOREIGN_KEY_VIOLATION) return invalid('organization_id', `organization '${organizationId}' does not exist`);
  return error;
}
