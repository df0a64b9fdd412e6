import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import type { TestGateway } from './test-gateway.ts';

/** A fresh id for one test's own data (tests never share rows). */
export function uniqueId(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

export const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

/** Creates an organization through the admin API and returns its id. */
export async function createOrganization(gateway: TestGateway, organizationId = uniqueId('org')): Promise<string> {
  const response = await gateway.admin('/api/organizations/create', { body: { organization_id: organizationId, name: `Org ${organizationId}` } });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return organizationId;
}

/** Creates a team (and an organization for it unless given); returns the team JSON and its first key. */
export async function createTeam(
  gateway: TestGateway,
  fields: Record<string, unknown> = {},
): Promise<{ teamId: string; organizationId: string; key: string; keyId: string; body: any }> {
  const organizationId = typeof fields.organization_id === 'string' ? fields.organization_id : await createOrganization(gateway);
  const teamId = typeof fields.team_id === 'string' ? fields.team_id : uniqueId('team');
  const response = await gateway.admin('/api/teams/create', { body: { ...fields, team_id: teamId, organization_id: organizationId } });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return { teamId, organizationId, key: response.body.virtual_key, keyId: response.body.key.key_id, body: response.body };
}

/**
 * Model groups and an access group granting them, written straight to the catalog tables (the catalog's
 * own API is another area's; here it is only test data).
 */
export async function seedAccessGroup(gateway: TestGateway, modelGroups: string[], options: { inactive?: string[] } = {}): Promise<string> {
  const accessGroup = uniqueId('ag');
  const db = gateway.container.db;
  for (const name of modelGroups) {
    await db.query(`INSERT INTO model_groups (name, display_name, status) VALUES ($1, $1, $2) ON CONFLICT (name) DO NOTHING`,
      [name, options.inactive?.includes(name) ? 'inactive' : 'active']);
  }
  await db.query('INSERT INTO access_groups (name) VALUES ($1)', [accessGroup]);
  for (const name of modelGroups) {
    await db.query(`INSERT INTO access_group_members (access_group_name, member_type, member_name) VALUES ($1, 'model_group', $2)`, [accessGroup, name]);
  }
  return accessGroup;
}

/** A closed job row of `teamId`, as the job pipeline would leave it (history for deletion and usage tests). */
export async function seedJob(gateway: TestGateway, teamId: string, fields: { status?: string; totalTokens?: number; providerCostNanos?: number; clientCostNanos?: number; calls?: number } = {}): Promise<string> {
  const jobId = crypto.randomUUID();
  await gateway.container.db.query(
    `INSERT INTO jobs (job_id, team_id, job_type, status, expires_at, total_calls, prompt_tokens, completion_tokens, total_tokens, provider_cost_nanos, client_cost_nanos)
     VALUES ($1, $2, 'test', $3, now() + interval '1 hour', $4, $5, $6, $7, $8, $9)`,
    [jobId, teamId, fields.status ?? 'completed', fields.calls ?? 1, Math.floor((fields.totalTokens ?? 0) / 2), Math.ceil((fields.totalTokens ?? 0) / 2),
      fields.totalTokens ?? 0, fields.providerCostNanos ?? 0, fields.clientCostNanos ?? 0],
  );
  return jobId;
}

/** Asserts the error envelope of 02-client-api.md with `status` and `code`; returns the message. */
export function assertError(response: { status: number; body: any }, status: number, code: string): string {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.equal(response.body?.error?.code, code, JSON.stringify(response.body));
  assert.equal(response.body.detail, response.body.error.message);
  return response.body.error.message as string;
}

/** Polls `probe` until it returns true or `timeoutMs` passes; returns the elapsed milliseconds, or null on timeout. */
export async function waitFor(probe: () => Promise<boolean>, timeoutMs: number, intervalMs = 50): Promise<number | null> {
  const started = Date.now();
  while (Date.now() - started <= timeoutMs) {
    if (await probe()) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return null;
}
