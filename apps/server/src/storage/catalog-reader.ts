import type { CatalogReader, CatalogRows, CredentialRecord, TeamGrants } from '../domain/catalog-ports.ts';
import { selectAccessGroups } from './access-group-repository.ts';
import { CREDENTIAL_COLUMNS } from './credential-repository.ts';
import type { Queryable } from './database.ts';
import { selectDeployments } from './deployment-repository.ts';
import { selectModelGroups } from './model-group-repository.ts';

/** The reads behind the in-memory resolution index: the whole catalog, and one team's grants. */
export class PgCatalogReader implements CatalogReader {
  constructor(private readonly db: Queryable) {}

  async loadCatalog(): Promise<CatalogRows> {
    // Sequential on purpose: PGlite runs one statement at a time anyway, and a pg pool should not be
    // flooded with parallel reads by every instance's reload.
    const credentials = await this.db.query<CredentialRecord>(`SELECT ${CREDENTIAL_COLUMNS} FROM provider_credentials`);
    const deployments = await selectDeployments(this.db);
    const modelGroups = await selectModelGroups(this.db);
    const accessGroups = await selectAccessGroups(this.db);
    return { credentials, deployments, modelGroups, accessGroups };
  }

  async loadTeamGrants(teamId: string): Promise<TeamGrants | null> {
    const rows = await this.db.query<{ organizationId: string; accessGroups: string[] }>(
      `SELECT t.organization_id AS "organizationId",
              COALESCE(array_agg(g.access_group_name ORDER BY g.access_group_name) FILTER (WHERE g.access_group_name IS NOT NULL), '{}') AS "accessGroups"
       FROM teams t LEFT JOIN team_access_groups g ON g.team_id = t.team_id
       WHERE t.team_id = $1 AND t.deleted_at IS NULL
       GROUP BY t.organization_id`,
      [teamId],
    );
    const row = rows[0];
    return row ? { teamId, organizationId: row.organizationId, accessGroups: row.accessGroups } : null;
  }
}
