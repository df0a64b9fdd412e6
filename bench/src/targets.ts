import { SHAPES, type BenchTenant, type ShapeName } from './bench-tenant.ts';
import type { RequestSpec } from './load-run.ts';
import { shapedBasePath } from './mock-upstream.ts';

/** The rows of the report, in order. */
export const TARGET_KEYS = ['direct', 'bare', 'gateway-job', 'gateway-v1', 'portkey'] as const;
export type TargetKey = (typeof TARGET_KEYS)[number];

export const TARGET_LABELS: Record<TargetKey, string> = {
  direct: 'Direct to the mock',
  bare: 'Bare proxy (Fastify + undici.request)',
  'gateway-job': 'Gateway, job API (POST /api/jobs/{id}/llm-call)',
  'gateway-v1': 'Gateway, /v1/chat/completions',
  portkey: 'Portkey gateway (OSS)',
};

/** How one row sends its non-streaming and streaming requests. */
export interface Target {
  key: TargetKey;
  /** The process whose CPU and memory the row measures (the mock's for `direct`). */
  pid: number;
  json(): RequestSpec;
  stream(shape: ShapeName): RequestSpec;
}

const MESSAGES = [{ role: 'user', content: 'Say hello to the benchmark.' }];
const MAX_TOKENS = 16;

function openAiBody(model: string, stream: boolean): string {
  return JSON.stringify({ model, messages: MESSAGES, max_tokens: MAX_TOKENS, ...(stream ? { stream: true } : {}) });
}

export function directTarget(mockUrl: string, pid: number): Target {
  return {
    key: 'direct', pid,
    json: () => ({ url: `${mockUrl}/v1/chat/completions`, headers: {}, body: openAiBody('bench-mock-model', false) }),
    stream: (shape) => ({ url: `${mockUrl}${shapedBasePath(SHAPES[shape])}/chat/completions`, headers: {}, body: openAiBody('bench-mock-model', true) }),
  };
}

/** The bare proxy forwards the path as is, so the shape travels in the path like direct. */
export function bareTarget(proxyUrl: string, pid: number): Target {
  return {
    key: 'bare', pid,
    json: () => ({ url: `${proxyUrl}/v1/chat/completions`, headers: { authorization: 'Bearer sk-bench-mock' }, body: openAiBody('bench-mock-model', false) }),
    stream: (shape) => ({ url: `${proxyUrl}${shapedBasePath(SHAPES[shape])}/chat/completions`, headers: { authorization: 'Bearer sk-bench-mock' }, body: openAiBody('bench-mock-model', true) }),
  };
}

/** Portkey's routing headers (06-quality.md): provider `openai`, its custom host set to the mock's base URL. */
export function portkeyTarget(portkeyUrl: string, mockUrl: string, pid: number): Target {
  const headersFor = (basePath: string) => ({ 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${mockUrl}${basePath}`, authorization: 'Bearer sk-bench-mock' });
  return {
    key: 'portkey', pid,
    json: () => ({ url: `${portkeyUrl}/v1/chat/completions`, headers: headersFor('/v1'), body: openAiBody('bench-mock-model', false) }),
    stream: (shape) => ({ url: `${portkeyUrl}/v1/chat/completions`, headers: headersFor(shapedBasePath(SHAPES[shape])), body: openAiBody('bench-mock-model', true) }),
  };
}

/** Calls in one long-lived job (see `openBenchJob`); the shape is chosen by model group. */
export function gatewayJobTarget(gatewayUrl: string, tenant: BenchTenant, jobId: string, pid: number): Target {
  const body = (shape: ShapeName, stream: boolean) =>
    JSON.stringify({ model_group: tenant.groups[shape], messages: MESSAGES, max_tokens: MAX_TOKENS, ...(stream ? { stream: true } : {}) });
  const headers = { authorization: `Bearer ${tenant.virtualKey}` };
  return {
    key: 'gateway-job', pid,
    json: () => ({ url: `${gatewayUrl}/api/jobs/${jobId}/llm-call`, headers, body: body('instant', false) }),
    stream: (shape) => ({ url: `${gatewayUrl}/api/jobs/${jobId}/llm-call`, headers, body: body(shape, true) }),
  };
}

/**
 * The OpenAI-compatible route. With `x-job-id` every call joins the long-lived job like the job-API row,
 * so the two rows differ only by route (without it each call would open and close its own job).
 */
export function gatewayV1Target(gatewayUrl: string, tenant: BenchTenant, jobId: string, pid: number): Target {
  const headers = { authorization: `Bearer ${tenant.virtualKey}`, 'x-job-id': jobId };
  return {
    key: 'gateway-v1', pid,
    json: () => ({ url: `${gatewayUrl}/v1/chat/completions`, headers, body: openAiBody(tenant.groups.instant, false) }),
    stream: (shape) => ({ url: `${gatewayUrl}/v1/chat/completions`, headers, body: openAiBody(tenant.groups[shape], true) }),
  };
}

/** Whether the gateway serves `/v1/chat/completions` yet (another change adds it): a 404 `not_found` means no route. */
export async function gatewayHasV1(gatewayUrl: string, tenant: BenchTenant): Promise<boolean> {
  const response = await fetch(`${gatewayUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tenant.virtualKey}`, 'content-type': 'application/json' },
    body: openAiBody(tenant.groups.instant, false),
  });
  const text = await response.text();
  return !(response.status === 404 && text.includes('No route for'));
}
