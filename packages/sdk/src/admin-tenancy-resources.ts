import type { KeyCreate, OrganizationCreate, OrganizationUpdate, TeamCreate, TeamUpdate } from '@saas-llm/protocol';
import { pathOf, type HttpTransport, type RequestOptions } from './http-transport.ts';
import type {
  DeleteOptions, KeyRotate, Organization, OrganizationDeleted, OrganizationList, OrganizationTeams, OrganizationUsage,
  OrganizationUsageQuery, Team, TeamCreated, TeamDeleted, TeamList, TeamListQuery, VirtualKey, VirtualKeyCreated, VirtualKeyList,
  VirtualKeyRotated,
} from './admin-types.ts';

/** Organizations: groups of teams (one customer company with several teams). */
export class OrganizationsResource {
  constructor(private readonly http: HttpTransport) {}

  /** Lists every organization. `GET /api/organizations` */
  list(options?: RequestOptions): Promise<OrganizationList> {
    return this.http.request({ ...options, method: 'GET', path: '/api/organizations' });
  }

  /** Creates an organization with a caller-chosen `organization_id`. `POST /api/organizations/create` */
  create(body: OrganizationCreate, options?: RequestOptions): Promise<Organization> {
    return this.http.request({ ...options, method: 'POST', path: '/api/organizations/create', body });
  }

  /** Reads one organization. `GET /api/organizations/{id}` */
  get(organizationId: string, options?: RequestOptions): Promise<Organization> {
    return this.http.request({ ...options, method: 'GET', path: pathOf('api', 'organizations', organizationId) });
  }

  /** Changes name, status or metadata. `PUT /api/organizations/{id}` */
  update(organizationId: string, body: OrganizationUpdate, options?: RequestOptions): Promise<Organization> {
    return this.http.request({ ...options, method: 'PUT', path: pathOf('api', 'organizations', organizationId), body });
  }

  /**
   * Deletes an organization and its teams (soft delete: history is kept). One with history is refused
   * with a `ConflictError` unless `force` is set. `DELETE /api/organizations/{id}`
   */
  delete(organizationId: string, deleteOptions: DeleteOptions = {}, options?: RequestOptions): Promise<OrganizationDeleted> {
    return this.http.request({ ...options, method: 'DELETE', path: pathOf('api', 'organizations', organizationId), query: forceQuery(deleteOptions) });
  }

  /** Lists the teams of an organization. `GET /api/organizations/{id}/teams` */
  teams(organizationId: string, options?: RequestOptions): Promise<OrganizationTeams> {
    return this.http.request({ ...options, method: 'GET', path: pathOf('api', 'organizations', organizationId, 'teams') });
  }

  /**
   * Usage of the organization's jobs (totals, by status and by team, deleted teams included), optionally
   * within `from`/`to`. `GET /api/organizations/{id}/usage`
   */
  usage(organizationId: string, query: OrganizationUsageQuery = {}, options?: RequestOptions): Promise<OrganizationUsage> {
    return this.http.request({ ...options, method: 'GET', path: pathOf('api', 'organizations', organizationId, 'usage'), query: { ...query } });
  }
}

/** Teams (tenants): credit accounts, limits, access groups and status. */
export class TeamsResource {
  constructor(private readonly http: HttpTransport) {}

  /** Lists teams, optionally of one organization or in one status. `GET /api/teams` */
  list(query: TeamListQuery = {}, options?: RequestOptions): Promise<TeamList> {
    return this.http.request({ ...options, method: 'GET', path: '/api/teams', query: { ...query } });
  }

  /**
   * Creates a team with its access groups and opening credits, and its first virtual key: the answer's
   * `virtual_key` (and `key` for its record) is the only time the key is shown. `POST /api/teams/create`
   */
  create(body: TeamCreate, options?: RequestOptions): Promise<TeamCreated> {
    return this.http.request({ ...options, method: 'POST', path: '/api/teams/create', body });
  }

  /** Reads one team with its credit account. `GET /api/teams/{id}` */
  get(teamId: string, options?: RequestOptions): Promise<Team> {
    return this.http.request({ ...options, method: 'GET', path: pathOf('api', 'teams', teamId) });
  }

  /** Changes a team's settings and limits. `PUT /api/teams/{id}` */
  update(teamId: string, body: TeamUpdate, options?: RequestOptions): Promise<Team> {
    return this.http.request({ ...options, method: 'PUT', path: pathOf('api', 'teams', teamId), body });
  }

  /**
   * Deletes a team and revokes its keys (soft delete: history is kept). One with jobs is refused with a
   * `ConflictError` unless `force` is set. `DELETE /api/teams/{id}`
   */
  delete(teamId: string, deleteOptions: DeleteOptions = {}, options?: RequestOptions): Promise<TeamDeleted> {
    return this.http.request({ ...options, method: 'DELETE', path: pathOf('api', 'teams', teamId), query: forceQuery(deleteOptions) });
  }

  /** Suspends a team: its keys get 403 `team_suspended`. `PUT /api/teams/{id}/suspend` */
  suspend(teamId: string, options?: RequestOptions): Promise<Team> {
    return this.http.request({ ...options, method: 'PUT', path: pathOf('api', 'teams', teamId, 'suspend') });
  }

  /** Pauses a team: its keys get 403 `team_paused`. `PUT /api/teams/{id}/pause` */
  pause(teamId: string, options?: RequestOptions): Promise<Team> {
    return this.http.request({ ...options, method: 'PUT', path: pathOf('api', 'teams', teamId, 'pause') });
  }

  /** Makes a suspended or paused team active again. `PUT /api/teams/{id}/resume` */
  resume(teamId: string, options?: RequestOptions): Promise<Team> {
    return this.http.request({ ...options, method: 'PUT', path: pathOf('api', 'teams', teamId, 'resume') });
  }

  /** Replaces the team's access groups (what it may call). `PUT /api/teams/{id}/access-groups` */
  setAccessGroups(teamId: string, accessGroups: string[], options?: RequestOptions): Promise<Team> {
    return this.http.request({ ...options, method: 'PUT', path: pathOf('api', 'teams', teamId, 'access-groups'), body: { access_groups: accessGroups } });
  }
}

/** A team's virtual keys. The full key is returned once, by `create` and `rotate`. */
export class KeysResource {
  constructor(private readonly http: HttpTransport) {}

  /** Lists a team's keys: prefix, name and dates, never the key. `GET /api/teams/{id}/keys` */
  list(teamId: string, options?: RequestOptions): Promise<VirtualKeyList> {
    return this.http.request({ ...options, method: 'GET', path: pathOf('api', 'teams', teamId, 'keys') });
  }

  /** Creates a key; the answer holds the full key, shown this once. `POST /api/teams/{id}/keys` */
  create(teamId: string, body: KeyCreate = {}, options?: RequestOptions): Promise<VirtualKeyCreated> {
    return this.http.request({ ...options, method: 'POST', path: pathOf('api', 'teams', teamId, 'keys'), body });
  }

  /**
   * Rotates a key: creates its successor (full key in the answer, with the old key's record in
   * `rotated_from`) and revokes the old one, after `grace_seconds` if given.
   * `POST /api/teams/{id}/keys/{key_id}/rotate`
   */
  rotate(teamId: string, keyId: string, body: KeyRotate = {}, options?: RequestOptions): Promise<VirtualKeyRotated> {
    return this.http.request({ ...options, method: 'POST', path: pathOf('api', 'teams', teamId, 'keys', keyId, 'rotate'), body });
  }

  /** Revokes a key at once, on every instance; answers its record. `DELETE /api/teams/{id}/keys/{key_id}` */
  revoke(teamId: string, keyId: string, options?: RequestOptions): Promise<VirtualKey> {
    return this.http.request({ ...options, method: 'DELETE', path: pathOf('api', 'teams', teamId, 'keys', keyId) });
  }
}

function forceQuery(deleteOptions: DeleteOptions): { force?: 'true' } {
  return deleteOptions.force ? { force: 'true' } : {};
}
