import type { CredentialCreate, DeploymentCreate, GroupMember, ModelGroupCreate } from '@saas-llm/protocol';
import { pathOf, type HttpTransport, type RequestOptions } from './http-transport.ts';
import type {
  AccessGroup, AccessGroupCreate, AccessGroupMembers, AccessGroupUpdate, CatalogDeleted, CredentialUpdate, DeleteOptions, Deployment,
  DeploymentUpdate, ModelGroup, ModelGroupResolution, ModelGroupResolveQuery, ModelGroupUpdate, ProviderCredential,
} from './admin-types.ts';

/** Provider credentials. Secrets are write-only: answers carry at most their last 4 characters. */
export class CredentialsResource {
  constructor(private readonly http: HttpTransport) {}

  /** Lists every credential, without secrets. `GET /api/provider-credentials` */
  list(options?: RequestOptions): Promise<ProviderCredential[]> {
    return this.http.request({ ...options, method: 'GET', path: '/api/provider-credentials' });
  }

  /** Stores a provider's API key (encrypted at rest). `POST /api/provider-credentials/create` */
  create(body: CredentialCreate, options?: RequestOptions): Promise<ProviderCredential> {
    return this.http.request({ ...options, method: 'POST', path: '/api/provider-credentials/create', body });
  }

  /** Reads one credential, without its secret. `GET /api/provider-credentials/{id}` */
  get(credentialId: string, options?: RequestOptions): Promise<ProviderCredential> {
    return this.http.request({ ...options, method: 'GET', path: pathOf('api', 'provider-credentials', credentialId) });
  }

  /** Changes a credential, including replacing its secret. `PUT /api/provider-credentials/{id}` */
  update(credentialId: string, body: CredentialUpdate, options?: RequestOptions): Promise<ProviderCredential> {
    return this.http.request({ ...options, method: 'PUT', path: pathOf('api', 'provider-credentials', credentialId), body });
  }

  /** Deletes a credential; refused with a `ConflictError` while deployments use it. `DELETE /api/provider-credentials/{id}` */
  delete(credentialId: string, options?: RequestOptions): Promise<CatalogDeleted> {
    return this.http.request({ ...options, method: 'DELETE', path: pathOf('api', 'provider-credentials', credentialId) });
  }

  /** Lets deployments use the credential again. `PUT /api/provider-credentials/{id}/activate` */
  activate(credentialId: string, options?: RequestOptions): Promise<ProviderCredential> {
    return this.http.request({ ...options, method: 'PUT', path: pathOf('api', 'provider-credentials', credentialId, 'activate') });
  }

  /** Stops deployments from using the credential. `PUT /api/provider-credentials/{id}/deactivate` */
  deactivate(credentialId: string, options?: RequestOptions): Promise<ProviderCredential> {
    return this.http.request({ ...options, method: 'PUT', path: pathOf('api', 'provider-credentials', credentialId, 'deactivate') });
  }
}

/** Deployments (model aliases): one concrete upstream model each, with credential and prices. */
export class ModelsResource {
  constructor(private readonly http: HttpTransport) {}

  /** Lists every deployment. `GET /api/models` */
  list(options?: RequestOptions): Promise<Deployment[]> {
    return this.http.request({ ...options, method: 'GET', path: '/api/models' });
  }

  /** Creates a deployment under a unique `alias`. `POST /api/models/create` */
  create(body: DeploymentCreate, options?: RequestOptions): Promise<Deployment> {
    return this.http.request({ ...options, method: 'POST', path: '/api/models/create', body });
  }

  /** Reads one deployment. `GET /api/models/{alias}` */
  get(alias: string, options?: RequestOptions): Promise<Deployment> {
    return this.http.request({ ...options, method: 'GET', path: pathOf('api', 'models', alias) });
  }

  /** Changes a deployment (model, credential, prices, limits, status). `PUT /api/models/{alias}` */
  update(alias: string, body: DeploymentUpdate, options?: RequestOptions): Promise<Deployment> {
    return this.http.request({ ...options, method: 'PUT', path: pathOf('api', 'models', alias), body });
  }

  /** Deletes a deployment; one still in use is refused with a `ConflictError` unless `force` is set. `DELETE /api/models/{alias}` */
  delete(alias: string, deleteOptions: DeleteOptions = {}, options?: RequestOptions): Promise<CatalogDeleted> {
    return this.http.request({ ...options, method: 'DELETE', path: pathOf('api', 'models', alias), query: forceQuery(deleteOptions) });
  }
}

/** Model groups: the names tenants ask for, mapped to deployments with a strategy and fallbacks. */
export class ModelGroupsResource {
  constructor(private readonly http: HttpTransport) {}

  /** Lists every model group with its members. `GET /api/model-groups` */
  list(options?: RequestOptions): Promise<ModelGroup[]> {
    return this.http.request({ ...options, method: 'GET', path: '/api/model-groups' });
  }

  /** Creates a model group, optionally with its members. `POST /api/model-groups/create` */
  create(body: ModelGroupCreate, options?: RequestOptions): Promise<ModelGroup> {
    return this.http.request({ ...options, method: 'POST', path: '/api/model-groups/create', body });
  }

  /** Reads one model group. `GET /api/model-groups/{name}` */
  get(name: string, options?: RequestOptions): Promise<ModelGroup> {
    return this.http.request({ ...options, method: 'GET', path: pathOf('api', 'model-groups', name) });
  }

  /** Changes a group's display name, description, strategy, retries or status. `PUT /api/model-groups/{name}` */
  update(name: string, body: ModelGroupUpdate, options?: RequestOptions): Promise<ModelGroup> {
    return this.http.request({ ...options, method: 'PUT', path: pathOf('api', 'model-groups', name), body });
  }

  /** Deletes a model group; one still in use is refused with a `ConflictError` unless `force` is set. `DELETE /api/model-groups/{name}` */
  delete(name: string, deleteOptions: DeleteOptions = {}, options?: RequestOptions): Promise<CatalogDeleted> {
    return this.http.request({ ...options, method: 'DELETE', path: pathOf('api', 'model-groups', name), query: forceQuery(deleteOptions) });
  }

  /** Replaces the group's members (`alias`, `priority`, `weight`). `PUT /api/model-groups/{name}/models` */
  setMembers(name: string, members: GroupMember[], options?: RequestOptions): Promise<ModelGroup> {
    return this.http.request({ ...options, method: 'PUT', path: pathOf('api', 'model-groups', name, 'models'), body: { members } });
  }

  /**
   * Dry run of resolution: the candidates in the order they would be tried, and why each other member
   * was skipped — as `team_id` would see it, for a request needing the given capabilities and tokens.
   * `GET /api/model-groups/{name}/resolve`
   */
  resolve(name: string, query: ModelGroupResolveQuery = {}, options?: RequestOptions): Promise<ModelGroupResolution> {
    return this.http.request({ ...options, method: 'GET', path: pathOf('api', 'model-groups', name, 'resolve'), query: { ...query } });
  }
}

/** Access groups: named sets of model groups and deployments that teams are granted. */
export class AccessGroupsResource {
  constructor(private readonly http: HttpTransport) {}

  /** Lists every access group. `GET /api/model-access-groups` */
  list(options?: RequestOptions): Promise<AccessGroup[]> {
    return this.http.request({ ...options, method: 'GET', path: '/api/model-access-groups' });
  }

  /** Creates an access group, optionally with its model groups and deployments. `POST /api/model-access-groups/create` */
  create(body: AccessGroupCreate, options?: RequestOptions): Promise<AccessGroup> {
    return this.http.request({ ...options, method: 'POST', path: '/api/model-access-groups/create', body });
  }

  /** Reads one access group. `GET /api/model-access-groups/{name}` */
  get(name: string, options?: RequestOptions): Promise<AccessGroup> {
    return this.http.request({ ...options, method: 'GET', path: pathOf('api', 'model-access-groups', name) });
  }

  /** Changes an access group's description. `PUT /api/model-access-groups/{name}` */
  update(name: string, body: AccessGroupUpdate, options?: RequestOptions): Promise<AccessGroup> {
    return this.http.request({ ...options, method: 'PUT', path: pathOf('api', 'model-access-groups', name), body });
  }

  /** Deletes an access group; one teams still hold is refused with a `ConflictError` unless `force` is set. `DELETE /api/model-access-groups/{name}` */
  delete(name: string, deleteOptions: DeleteOptions = {}, options?: RequestOptions): Promise<CatalogDeleted> {
    return this.http.request({ ...options, method: 'DELETE', path: pathOf('api', 'model-access-groups', name), query: forceQuery(deleteOptions) });
  }

  /** Replaces what the group grants: model groups and/or deployments. `PUT /api/model-access-groups/{name}/models` */
  setMembers(name: string, body: AccessGroupMembers, options?: RequestOptions): Promise<AccessGroup> {
    return this.http.request({ ...options, method: 'PUT', path: pathOf('api', 'model-access-groups', name, 'models'), body });
  }
}

function forceQuery(deleteOptions: DeleteOptions): { force?: 'true' } {
  return deleteOptions.force ? { force: 'true' } : {};
}
