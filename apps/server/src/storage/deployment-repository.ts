import type { ProviderName } from '@saas-llm/protocol';
import type {
  Capabilities, CatalogStatus, DeleteOutcome, DeploymentChanges, DeploymentRecord, DeploymentRepository, NewDeployment,
} from '../domain/catalog-ports.ts';
import { conflict, invalid } from '../domain/errors.ts';
import { PG_FOREIGN_KEY_VIOLATION, PG_UNIQUE_VIOLATION, pgErrorCode, type Database, type Queryable } from './database.ts';

const DEPLOYMENT_COLUMNS = `alias, provider, model, credential_id AS "credentialId", api_base AS "apiBase",
  input_price_nanos AS "inputPriceNanos", output_price_nanos AS "outputPriceNanos", cached_input_price_nanos AS "cachedInputPriceNanos",
  context_window AS "contextWindow", max_output_tokens AS "maxOutputTokens", capabilities, status, timeout_ms AS "timeoutMs",
  settings, created_at AS "createdAt", updated_at AS "updatedAt"`;

/** Capabilities are stored with the wire's field names, so the JSON in the database reads like the API. */
interface StoredCapabilities { tools?: boolean; json_schema?: boolean; vision?: boolean; embeddings?: boolean }
type DeploymentRow = Omit<DeploymentRecord, 'capabilities' | 'provider' | 'status'> & { capabilities: StoredCapabilities; provider: string; status: string };

const toStored = (capabilities: Capabilities): string => JSON.stringify({
  tools: capabilities.tools, json_schema: capabilities.jsonSchema, vision: capabilities.vision, embeddings: capabilities.embeddings,
});

function fromRow(row: DeploymentRow): DeploymentRecord {
  const stored = row.capabilities ?? {};
  return {
    ...row,
    provider: row.provider as ProviderName,
    status: row.status as CatalogStatus,
    capabilities: { tools: stored.tools ?? true, jsonSchema: stored.json_schema ?? false, vision: stored.vision ?? false, embeddings: stored.embeddings ?? false },
  };
}

/** Reads every deployment (also used by the catalog reader). */
export async function selectDeployments(db: Queryable, where = 'TRUE', params: unknown[] = []): Promise<DeploymentRecord[]> {
  return (await db.query<DeploymentRow>(`SELECT ${DEPLOYMENT_COLUMNS} FROM deployments WHERE ${where} ORDER BY alias`, params)).map(fromRow);
}

/** Deployments (model aliases) in PostgreSQL; prices as nano-dollars per 1M tokens. */
export class PgDeploymentRepository implements DeploymentRepository {
  constructor(private readonly db: Database) {}

  list(): Promise<DeploymentRecord[]> {
    return selectDeployments(this.db);
  }

  async find(alias: string): Promise<DeploymentRecord | null> {
    return (await selectDeployments(this.db, 'alias = $1', [alias]))[0] ?? null;
  }

  async existing(aliases: readonly string[]): Promise<Set<string>> {
    if (aliases.length === 0) return new Set();
    const rows = await this.db.query<{ alias: string }>('SELECT alias FROM deployments WHERE alias = ANY($1::text[])', [aliases]);
    return new Set(rows.map((row) => row.alias));
  }

  async insert(deployment: NewDeployment): Promise<DeploymentRecord> {
    const rows = await this.db.query<DeploymentRow>(
      `INSERT INTO deployments (alias, provider, model, credential_id, api_base, input_price_nanos, output_price_nanos, cached_input_price_nanos,
         context_window, max_output_tokens, capabilities, status, timeout_ms, settings)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $13, $14::jsonb) RETURNING ${DEPLOYMENT_COLUMNS}`,
      [deployment.alias, deployment.provider, deployment.model, deployment.credentialId, deployment.apiBase, deployment.inputPriceNanos,
        deployment.outputPriceNanos, deployment.cachedInputPriceNanos, deployment.contextWindow, deployment.maxOutputTokens,
        toStored(deployment.capabilities), deployment.status, deployment.timeoutMs, JSON.stringify(deployment.settings)],
    ).catch((error: unknown) => { throw mapWriteError(error, deployment.alias); });
    return fromRow(rows[0]!);
  }

  async update(alias: string, changes: DeploymentChanges): Promise<DeploymentRecord | null> {
    const params: unknown[] = [alias];
    const sets: string[] = [];
    const set = (column: string, value: unknown, cast = '') => { params.push(value); sets.push(`${column} = $${params.length}${cast}`); };
    if (changes.provider !== undefined) set('provider', changes.provider);
    if (changes.model !== undefined) set('model', changes.model);
    if (changes.credentialId !== undefined) set('credential_id', changes.credentialId);
    if (changes.apiBase !== undefined) set('api_base', changes.apiBase);
    if (changes.inputPriceNanos !== undefined) set('input_price_nanos', changes.inputPriceNanos);
    if (changes.outputPriceNanos !== undefined) set('output_price_nanos', changes.outputPriceNanos);
    if (changes.cachedInputPriceNanos !== undefined) set('cached_input_price_nanos', changes.cachedInputPriceNanos);
    if (changes.contextWindow !== undefined) set('context_window', changes.contextWindow);
    if (changes.maxOutputTokens !== undefined) set('max_output_tokens', changes.maxOutputTokens);
    if (changes.capabilities !== undefined) set('capabilities', toStored(changes.capabilities), '::jsonb');
    if (changes.status !== undefined) set('status', changes.status);
    if (changes.timeoutMs !== undefined) set('timeout_ms', changes.timeoutMs);
    if (changes.settings !== undefined) set('settings', JSON.stringify(changes.settings), '::jsonb');
    const rows = await this.db.query<DeploymentRow>(
      `UPDATE deployments SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE alias = $1 RETURNING ${DEPLOYMENT_COLUMNS}`, params,
    ).catch((error: unknown) => { throw mapWriteError(error, alias); });
    return rows[0] ? fromRow(rows[0]) : null;
  }

  delete(alias: string, force: boolean): Promise<DeleteOutcome<{ modelGroups: string[]; accessGroups: string[] }>> {
    return this.db.transaction(async (tx): Promise<DeleteOutcome<{ modelGroups: string[]; accessGroups: string[] }>> => {
      const found = await tx.query('SELECT 1 FROM deployments WHERE alias = $1 FOR UPDATE', [alias]);
      if (found.length === 0) return { kind: 'not_found' };
      const groups = await tx.query<{ name: string }>('SELECT group_name AS name FROM model_group_members WHERE alias = $1 ORDER BY group_name', [alias]);
      const grants = await tx.query<{ name: string }>(
        "SELECT access_group_name AS name FROM access_group_members WHERE member_type = 'deployment' AND member_name = $1 ORDER BY access_group_name", [alias]);
      if ((groups.length > 0 || grants.length > 0) && !force) {
        return { kind: 'in_use', usedBy: { modelGroups: groups.map((row) => row.name), accessGroups: grants.map((row) => row.name) } };
      }
      await tx.query('DELETE FROM model_group_members WHERE alias = $1', [alias]);
      // Grants have no foreign key (a member may be a group or a deployment): without this, a later deployment
      // re-using the alias would silently inherit them.
      await tx.query("DELETE FROM access_group_members WHERE member_type = 'deployment' AND member_name = $1", [alias]);
      await tx.query('DELETE FROM deployments WHERE alias = $1', [alias]);
      return { kind: 'deleted' };
    });
  }
}

function mapWriteError(error: unknown, alias: string): unknown {
  const code = pgErrorCode(error);
  if (code === PG_UNIQUE_VIOLATION) return conflict(`A deployment with alias '${alias}' already exists.`);
  // The credential was deleted between the service's check and this write.
  if (code === PG_FOREIGN_KEY_VIOLATION) return invalid('credential_id', 'the provider credential does not exist');
  return error;
}
