import assert from 'node:assert/strict';
import type { TestGateway } from './test-gateway.ts';
import { uniqueId } from './tenancy-fixtures.ts';

type Body = Record<string, unknown>;

/** Sends an admin request and asserts a 200, printing the body when it is not. */
export async function adminOk(gateway: TestGateway, path: string, init: { method?: string; body?: unknown } = {}): Promise<any> {
  const response = await gateway.admin(path, init);
  assert.equal(response.status, 200, `${init.method ?? (init.body === undefined ? 'GET' : 'POST')} ${path}: ${JSON.stringify(response.body)}`);
  return response.body;
}

/** A provider credential through the admin API (a mock one, with no key, unless told otherwise). */
export function createCredential(gateway: TestGateway, fields: Body = {}): Promise<any> {
  return adminOk(gateway, '/api/provider-credentials/create', { body: { provider: 'mock', name: uniqueId('cred'), ...fields } });
}

/** A deployment through the admin API: a mock one with no credential unless told otherwise. */
export function createDeployment(gateway: TestGateway, fields: Body = {}): Promise<any> {
  return adminOk(gateway, '/api/models/create', { body: { alias: uniqueId('dep'), provider: 'mock', model: 'mock-chat', ...fields } });
}

/** A model group over `members` (aliases, or full member objects). */
export function createModelGroup(gateway: TestGateway, members: Array<string | Body>, fields: Body = {}): Promise<any> {
  return adminOk(gateway, '/api/model-groups/create', {
    body: { name: uniqueId('group'), members: members.map((member) => (typeof member === 'string' ? { alias: member } : member)), ...fields },
  });
}

/** An access group granting the given model groups and deployments. */
export function createAccessGroup(gateway: TestGateway, members: { model_groups?: string[]; deployments?: string[] }, fields: Body = {}): Promise<any> {
  return adminOk(gateway, '/api/model-access-groups/create', { body: { name: uniqueId('access'), ...members, ...fields } });
}

/** The dry run of resolution, as an admin sees it. */
export function dryRun(gateway: TestGateway, name: string, query: Record<string, string | number | boolean> = {}): Promise<{ status: number; body: any }> {
  const search = new URLSearchParams(Object.entries(query).map(([key, value]) => [key, String(value)])).toString();
  return gateway.admin(`/api/model-groups/${encodeURIComponent(name)}/resolve${search ? `?${search}` : ''}`);
}

/** A deterministic uniform [0, 1) source (mulberry32), for statistical checks that must not flake. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
