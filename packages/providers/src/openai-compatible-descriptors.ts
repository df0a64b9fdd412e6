import type { DeploymentTarget } from './provider-adapter.ts';
import { UpstreamError } from './upstream-error.ts';

/**
 * How one OpenAI-format upstream differs from OpenAI: where it lives, how it takes the key, and which
 * request parameters it rejects or names differently. The quirks follow each provider's API reference;
 * they are data, so fixing one is a one-line change here.
 */
export interface OpenAIWireDescriptor {
  /** The `settings.compat` value that selects it (`openai` for OpenAI itself). */
  name: string;
  /** Used when the deployment has no `api_base`; null = the deployment must name one. */
  defaultApiBase: string | null;
  /** Hostnames that select this descriptor when a deployment gives no `settings.compat`. */
  hosts: readonly string[];
  /** How the key travels: `Authorization: Bearer`, Azure's `api-key` header, or not at all (local servers). */
  auth: 'bearer' | 'api-key' | 'none';
  /** The request path below the base URL's path; default `/chat/completions` and `/embeddings` (Azure adds its query). */
  pathFor?: (endpoint: 'chat' | 'embeddings', target: DeploymentTarget) => string;
  /** Top-level parameters the upstream rejects: removed (the gateway logs them as dropped). */
  dropParams: readonly string[];
  /** Parameters the upstream knows under another name. */
  renameParams: Readonly<Record<string, string>>;
  /** null = forward every parameter; else only these (the upstream rejects unknown fields). */
  acceptedParams: readonly string[] | null;
  /** Whether it understands `stream_options: {include_usage: true}`. */
  streamUsageOption: boolean;
  /** Whether it understands `max_completion_tokens`; if not, it becomes `max_tokens`. */
  maxCompletionTokens: boolean;
  /** Request tweaks that are not a simple drop or rename. */
  adjust?: (body: Record<string, unknown>) => void;
}

const base = {
  auth: 'bearer',
  dropParams: [],
  renameParams: {},
  acceptedParams: null,
  streamUsageOption: true,
  maxCompletionTokens: false,
} as const satisfies Partial<OpenAIWireDescriptor>;

/** OpenAI itself: everything is forwarded untouched. */
export const OPENAI_DESCRIPTOR: OpenAIWireDescriptor = {
  ...base, name: 'openai', defaultApiBase: 'https://api.openai.com/v1', hosts: ['api.openai.com'], maxCompletionTokens: true,
};

/** The `api-version` used when an Azure credential names none: the latest GA version with structured outputs and stream usage. */
export const DEFAULT_AZURE_API_VERSION = '2024-10-21';

/**
 * Azure OpenAI: `{api_base}/openai/deployments/{deployment}/chat/completions?api-version=…` (the
 * deployment's `model` is the Azure deployment name), the key in the `api-key` header. The wire format
 * is OpenAI's, so everything else is forwarded untouched.
 */
export const AZURE_DESCRIPTOR: OpenAIWireDescriptor = {
  ...base, name: 'azure', defaultApiBase: null, hosts: [], auth: 'api-key', maxCompletionTokens: true,
  pathFor: (endpoint, target) => {
    const version = encodeURIComponent(target.apiVersion ?? DEFAULT_AZURE_API_VERSION);
    return `/openai/deployments/${encodeURIComponent(target.model)}/${endpoint === 'chat' ? 'chat/completions' : 'embeddings'}?api-version=${version}`;
  },
};

/** An OpenAI-compatible server we know nothing about: treated as OpenAI, minus a default address. */
export const GENERIC_COMPATIBLE_DESCRIPTOR: OpenAIWireDescriptor = {
  ...base, name: 'generic', defaultApiBase: null, hosts: [], maxCompletionTokens: true,
};

function stripMessageNames(body: Record<string, unknown>): void {
  // Groq rejects `name` on messages ("property 'messages.0.name' is unsupported").
  if (!Array.isArray(body.messages)) return;
  body.messages = body.messages.map((message: unknown) => {
    if (typeof message !== 'object' || message === null || !('name' in message)) return message;
    const { name, ...rest } = message as Record<string, unknown>;
    void name;
    return rest;
  });
}

function mistralToolChoice(body: Record<string, unknown>): void {
  // Mistral spells OpenAI's "required" as "any".
  if (body.tool_choice === 'required') body.tool_choice = 'any';
}

/** The OpenAI-compatible upstreams we know, by `settings.compat` name. */
export const OPENAI_COMPATIBLE_DESCRIPTORS: readonly OpenAIWireDescriptor[] = [
  {
    ...base, name: 'groq', defaultApiBase: 'https://api.groq.com/openai/v1', hosts: ['api.groq.com'],
    dropParams: ['logprobs', 'top_logprobs', 'logit_bias'], adjust: stripMessageNames,
  },
  { ...base, name: 'together', defaultApiBase: 'https://api.together.xyz/v1', hosts: ['api.together.xyz', 'api.together.ai'] },
  { ...base, name: 'fireworks', defaultApiBase: 'https://api.fireworks.ai/inference/v1', hosts: ['api.fireworks.ai'] },
  {
    ...base, name: 'deepseek', defaultApiBase: 'https://api.deepseek.com/v1', hosts: ['api.deepseek.com'],
    dropParams: ['logit_bias', 'n', 'seed', 'parallel_tool_calls', 'service_tier'],
  },
  {
    ...base, name: 'mistral', defaultApiBase: 'https://api.mistral.ai/v1', hosts: ['api.mistral.ai', 'codestral.mistral.ai'],
    // Mistral answers 422 to any field it does not know, so only its documented parameters are sent.
    acceptedParams: [
      'model', 'messages', 'temperature', 'top_p', 'max_tokens', 'stream', 'stop', 'random_seed', 'response_format', 'tools',
      'tool_choice', 'presence_penalty', 'frequency_penalty', 'n', 'parallel_tool_calls', 'prediction', 'safe_prompt', 'prompt_mode',
    ],
    renameParams: { seed: 'random_seed' },
    streamUsageOption: false,
    adjust: mistralToolChoice,
  },
  { ...base, name: 'openrouter', defaultApiBase: 'https://openrouter.ai/api/v1', hosts: ['openrouter.ai'] },
  {
    ...base, name: 'ollama', defaultApiBase: 'http://127.0.0.1:11434/v1', hosts: [], auth: 'none',
    dropParams: ['logit_bias', 'n', 'user', 'tool_choice'],
  },
  { ...base, name: 'vllm', defaultApiBase: 'http://127.0.0.1:8000/v1', hosts: [], maxCompletionTokens: true },
  { ...base, name: 'lmstudio', defaultApiBase: 'http://127.0.0.1:1234/v1', hosts: [], auth: 'none', dropParams: ['logit_bias', 'n'] },
  { ...base, name: 'litellm', defaultApiBase: 'http://127.0.0.1:4000/v1', hosts: [], maxCompletionTokens: true },
];

const BY_NAME: ReadonlyMap<string, OpenAIWireDescriptor> = new Map([
  ...OPENAI_COMPATIBLE_DESCRIPTORS.map((descriptor) => [descriptor.name, descriptor] as const),
  ['generic', GENERIC_COMPATIBLE_DESCRIPTOR],
]);

/** The `settings.compat` names an `openai-compatible` deployment may use (for the admin API to validate). */
export const OPENAI_COMPATIBLE_FLAVOURS: readonly string[] = [...BY_NAME.keys()];

/**
 * The descriptor of an `openai-compatible` deployment: `settings.compat` when given (an unknown name is
 * a configuration error, thrown as an `UpstreamError` of kind `not_found`), else the one whose host matches `api_base`, else the generic one.
 */
export function descriptorFor(target: DeploymentTarget): OpenAIWireDescriptor {
  const named = target.settings.compat;
  if (typeof named === 'string' && named.length > 0) {
    const descriptor = BY_NAME.get(named.toLowerCase());
    if (descriptor === undefined) {
      throw new UpstreamError('not_found', `The deployment names an unknown openai-compatible flavour "${named}" (known: ${OPENAI_COMPATIBLE_FLAVOURS.join(', ')}).`);
    }
    return descriptor;
  }
  const host = target.apiBase !== null && URL.canParse(target.apiBase) ? new URL(target.apiBase).hostname : null;
  if (host) {
    const match = OPENAI_COMPATIBLE_DESCRIPTORS.find((descriptor) => descriptor.hosts.includes(host));
    if (match !== undefined) return match;
  }
  return GENERIC_COMPATIBLE_DESCRIPTOR;
}
