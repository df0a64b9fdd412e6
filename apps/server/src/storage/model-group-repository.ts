import type {
  DeleteOutcome, GroupMemberRecord, ModelGroupChanges, ModelGroupRecord, ModelGroupRepository, NewModelGroup,
} from '../domain/catalog-ports.ts';
import { conflict, invalid } from '../domain/errors.ts';
import { PG_FOREIGN_KEY_VIOLATION, PG_UNIQUE_VIOLATION, pgErrorCode, type Database, type Queryable } from './database.ts';

/** A group's own row; its members come from a second query. */
type GroupRow = Omit<ModelGroupRecord, 'members'>;

const GROUP_COLUMNS = `name, display_name AS "displayName", description, strategy, num_retries AS "numRetries",
  retry_backoff_ms AS "retryBackoffMs", status, created_at AS "createdAt", updated_at AS "updatedAt"`;

/** Reads groups with their members in two queries (also used by the catalog reader). */
export async function selectModelGroups(db: Queryable, names: readonly string[] | null = null): Promise<ModelGroupRecord[]> {
  const filter = names === null ? '' : 'WHERE name = ANY($1::text[])';
  const params = names === null ? [] : [names];
  const groups = await db.query<GroupRow>(`SELECT ${GROUP_COLUMNS} FROM model_groups ${filter} ORDER BY name`, params);
  const members = await db.query<GroupMemberRecord & { groupName: string }>(
    `SELECT group_name AS "groupName", alias, priority, weight, position FROM model_group_members
     ${names === null ? '' : 'WHERE group_name = ANY($1::text[])'} ORDER BY group_name, priority, position`, params);
  const byGroup = new Map<string, GroupMemberRecord[]>();
  for (const { groupName, ...member } of members) byGroup.set(groupName, [...(byGroup.get(groupName) ?? []), member]);
  return groups.map((group) => ({ ...group, members: byGroup.get(group.name) ?? [] }));
}

async function insertMembers(db: Queryable, name: string, members: readonly GroupMemberRecord[]): Promise<void> {
  if (members.length === 0) return;
  await db.query(
    `INSERT INTO model_group_members (group_name, alias, priority, weight, position)
     SELECT $1, * FROM unnest($2::text[], $3::int[], $4::int[], $5::int[])`,
    [name, members.map((member) => member.alias), members.map((member) => member.priority), members.map((member) => member.weight),
      members.map((member) => member.position)],
  );
}

/** Model groups and their members in PostgreSQL. */
export class PgModelGroupRepository implements ModelGroupRepository {
  constructor(private readonly db: Database) {}

  list(): Promise<ModelGroupRecord[]> {
    return selectModelGroups(this.db);
  }

  async find(name: string): Promise<ModelGroupRecord | null> {
    return (await selectModelGroups(this.db, [name]))[0] ?? null;
  }

  async existing(names: readonly string[]): Promise<Set<string>> {
    if (names.length === 0) return new Set();
    const rows = await this.db.query<{ name: string }>('SELECT name FROM model_groups WHERE name = ANY($1::text[])', [names]);
    return new Set(rows.map((row) => row.name));
  }

  async insert(group: NewModelGroup): Promise<ModelGroupRecord> {
    await this.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO model_groups (name, display_name, description, strategy, num_retries, retry_backoff_ms, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [group.name, group.displayName, group.description, group.strategy, group.numRetries, group.retryBackoffMs, group.status],
      );
      await insertMembers(tx, group.name, group.members);
    }).catch((error: unknown) => { throw mapWriteError(error, group.name); });
    return (await this.find(group.name))!;
  }

  async update(name: string, changes: ModelGroupChanges): Promise<ModelGroupRecord | null> {
    const params: unknown[] = [name];
    const sets: string[] = [];
    const set = (column: string, value: unknown) => { params.push(value); sets.push(`${column} = $${params.length}`); };
    if (changes.displayName !== undefined) set('display_name', changes.displayName);
    if (changes.description !== undefined) set('description', changes.description);
    if (changes.strategy !== undefined) set('strategy', changes.strategy);
    if (changes.numRetries !== undefined) set('num_retries', changes.numRetries);
    if (changes.retryBackoffMs !== undefined) set('retry_backoff_ms', changes.retryBackoffMs);
    if (changes.status !== undefined) set('status', changes.status);
    const rows = await this.db.query(`UPDATE model_groups SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE name = $1 RETURNING name`, params);
    return rows.length > 0 ? this.find(name) : null;
  }

  async replaceMembers(name: string, members: readonly GroupMemberRecord[]): Promise<ModelGroupRecord | null> {
    const found = await this.db.transaction(async (tx) => {
      const group = await tx.query('UPDATE model_groups SET updated_at = now() WHERE name = $1 RETURNING name', [name]);
      if (group.length === 0) return false;
      await tx.query('DELETE FROM model_group_members WHERE group_name = $1', [name]);
      await insertMembers(tx, name, members);
      return true;
    }).catch((error: unknown) => { throw mapWriteError(error, name); });
    return found ? this.find(name) : null;
  }

  delete(name: string, force: boolean): Promise<DeleteOutcome<string[]>> {
    return this.db.transaction(async (tx): Promise<DeleteOutcome<string[]>> => {
      const found = await tx.query('SELECT 1 FROM model_groups WHERE name = $1 FOR UPDATE', [name]);
      if (found.length === 0) return { kind: 'not_found' };
      const grants = await tx.query<{ name: string }>(
        "SELECT access_group_name AS name FROM access_group_members WHERE member_type = 'model_group' AND member_name = $1 ORDER BY access_group_name", [name]);
      if (grants.length > 0 && !force) return { kind: 'in_use', usedBy: grants.map((row) => row.name) };
      // Grants have no foreign key: remove them so a group later created under this name does not inherit them.
      await tx.query("DELETE FROM access_group_members WHERE member_type = 'model_group' AND member_name = $1", [name]);
      await tx.query('DELETE FROM model_groups WHERE name = $1', [name]); // members go with it (ON DELETE CASCADE)
      return { kind: 'deleted' };
    });
  }
}

function mapWriteError(error: unknown, name: string): unknown {
  const code = pgErrorCode(error);
  if (code === PG_UNIQUE_VIOLATION) return conflict(`A model group named '${name}' already exists.`);
  // A member's deployment was deleted between the service's check and this write.
  if (code === PG_FOREIGN_KEY_VIOLATION) return invalid('members', 'a listed deployment no longer exists');
  return error;
}
