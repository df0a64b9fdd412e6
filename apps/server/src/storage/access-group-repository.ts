import type { AccessGroupRecord, AccessGroupRepository, DeleteOutcome, NewAccessGroup } from '../domain/catalog-ports.ts';
import { conflict } from '../domain/errors.ts';
import { PG_UNIQUE_VIOLATION, pgErrorCode, type Database, type Queryable } from './database.ts';

type MemberType = 'model_group' | 'deployment';

/** Reads access groups with their members in two queries (also used by the catalog reader). */
export async function selectAccessGroups(db: Queryable, names: readonly string[] | null = null): Promise<AccessGroupRecord[]> {
  const params = names === null ? [] : [names];
  const groups = await db.query<{ name: string; description: string; createdAt: Date; updatedAt: Date }>(
    `SELECT name, description, created_at AS "createdAt", updated_at AS "updatedAt" FROM access_groups
     ${names === null ? '' : 'WHERE name = ANY($1::text[])'} ORDER BY name`, params);
  const members = await db.query<{ groupName: string; memberType: MemberType; memberName: string }>(
    `SELECT access_group_name AS "groupName", member_type AS "memberType", member_name AS "memberName" FROM access_group_members
     ${names === null ? '' : 'WHERE access_group_name = ANY($1::text[])'} ORDER BY access_group_name, member_name`, params);
  const byGroup = new Map(groups.map((group) => [group.name, { ...group, modelGroups: [] as string[], deployments: [] as string[] }]));
  for (const member of members) {
    const group = byGroup.get(member.groupName);
    if (group) (member.memberType === 'model_group' ? group.modelGroups : group.deployments).push(member.memberName);
  }
  return [...byGroup.values()];
}

async function insertMembers(db: Queryable, name: string, type: MemberType, members: readonly string[]): Promise<void> {
  if (members.length === 0) return;
  await db.query(
    'INSERT INTO access_group_members (access_group_name, member_type, member_name) SELECT $1, $2, unnest($3::text[])',
    [name, type, members],
  );
}

/** Access groups and their members in PostgreSQL. */
export class PgAccessGroupRepository implements AccessGroupRepository {
  constructor(private readonly db: Database) {}

  list(): Promise<AccessGroupRecord[]> {
    return selectAccessGroups(this.db);
  }

  async find(name: string): Promise<AccessGroupRecord | null> {
    return (await selectAccessGroups(this.db, [name]))[0] ?? null;
  }

  async insert(group: NewAccessGroup): Promise<AccessGroupRecord> {
    await this.db.transaction(async (tx) => {
      await tx.query('INSERT INTO access_groups (name, description) VALUES ($1, $2)', [group.name, group.description]);
      await insertMembers(tx, group.name, 'model_group', group.modelGroups);
      await insertMembers(tx, group.name, 'deployment', group.deployments);
    }).catch((error: unknown) => {
      if (pgErrorCode(error) === PG_UNIQUE_VIOLATION) throw conflict(`An access group named '${group.name}' already exists.`);
      throw error;
    });
    return (await this.find(group.name))!;
  }

  async updateDescription(name: string, description: string): Promise<AccessGroupRecord | null> {
    const rows = await this.db.query('UPDATE access_groups SET description = $2, updated_at = now() WHERE name = $1 RETURNING name', [name, description]);
    return rows.length > 0 ? this.find(name) : null;
  }

  async replaceMembers(name: string, members: { modelGroups?: readonly string[]; deployments?: readonly string[] }): Promise<AccessGroupRecord | null> {
    const found = await this.db.transaction(async (tx) => {
      const group = await tx.query('UPDATE access_groups SET updated_at = now() WHERE name = $1 RETURNING name', [name]);
      if (group.length === 0) return false;
      for (const [type, names] of [['model_group', members.modelGroups], ['deployment', members.deployments]] as const) {
        if (names === undefined) continue;
        await tx.query('DELETE FROM access_group_members WHERE access_group_name = $1 AND member_type = $2', [name, type]);
        await insertMembers(tx, name, type, names);
      }
      return true;
    });
    return found ? this.find(name) : null;
  }

  delete(name: string, force: boolean): Promise<DeleteOutcome<string[]>> {
    return this.db.transaction(async (tx): Promise<DeleteOutcome<string[]>> => {
      const found = await tx.query('SELECT 1 FROM access_groups WHERE name = $1 FOR UPDATE', [name]);
      if (found.length === 0) return { kind: 'not_found' };
      const teams = await tx.query<{ teamId: string }>(
        'SELECT team_id AS "teamId" FROM team_access_groups WHERE access_group_name = $1 ORDER BY team_id', [name]);
      if (teams.length > 0 && !force) return { kind: 'in_use', usedBy: teams.map((row) => row.teamId) };
      await tx.query('DELETE FROM access_groups WHERE name = $1', [name]); // members and team grants cascade
      return { kind: 'deleted' };
    });
  }
}
