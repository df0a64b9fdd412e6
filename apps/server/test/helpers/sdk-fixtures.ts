import { NotFoundError, SaaSLLMClient, type CallRecord, type SaaSLLMClientOptions } from '@saas-llm/sdk';
import type { Tenant } from './tenant-factory.ts';
import type { TestGateway } from './test-gateway.ts';

/** One request the SDK sent, as a recording `fetch` saw it. */
export interface RecordedRequest {
  method: string;
  path: string;
  status: number | null;
  startedAt: number;
}

/** A real `fetch` that records every request the SDK makes (to count retries) and can react to answers. */
export function recordingFetch(onResponse?: (request: RecordedRequest, response: Response) => Promise<void> | void) {
  const requests: RecordedRequest[] = [];
  const fetchImpl = async (input: string, init: RequestInit): Promise<Response> => {
    const request: RecordedRequest = { method: init.method ?? 'GET', path: new URL(input).pathname, status: null, startedAt: performance.now() };
    requests.push(request);
    const response = await fetch(input, init);
    request.status = response.status;
    await onResponse?.(request, response);
    return response;
  };
  return { fetch: fetchImpl, requests, to: (suffix: string) => requests.filter((request) => request.path.endsWith(suffix)) };
}

/** A tenant's client against the test gateway. */
export function clientFor(gateway: TestGateway, tenant: Tenant, options: Partial<SaaSLLMClientOptions> = {}): SaaSLLMClient {
  return new SaaSLLMClient({ apiUrl: gateway.url, virtualKey: tenant.key, teamId: tenant.teamId, ...options });
}

/**
 * Reads a call record once it exists: the gateway writes it when the call settles, and a streamed call
 * the client abandoned settles a moment after the client's side of the stream has ended.
 */
export async function settledCall(client: SaaSLLMClient, jobId: string, callId: string): Promise<CallRecord> {
  for (let tries = 0; tries < 250; tries += 1) {
    try {
      return await client.getCall(jobId, callId);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`Call ${callId} was not recorded within 5 s.`);
}
