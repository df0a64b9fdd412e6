import { createHash } from 'node:crypto';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest, ChatUsage, FunctionTool, ToolCall } from '@saas-llm/protocol';
import { generateSchemaInstance } from './json-schema-instance.ts';
import { composeTextAnswer, messageText } from './mock-answer.ts';
import { mockTokenize, promptTokens } from './mock-tokens.ts';
import { seededRandom, type SeededRandom } from './seeded-random.ts';
import { UpstreamHttpError } from './upstream-error.ts';

/*
 * What the mock answers, decided before any timing is applied: the same plan serves the non-streaming
 * completion and the stream, so both carry the same text, tool calls and usage.
 */

/** One planned choice: text or a tool call, cut by `stop` and `max_tokens` like a real model. */
export interface PlannedChoice {
  /** Tokens of the content (empty for a tool call). */
  contentTokens: string[];
  toolCall: ToolCall | null;
  /** Tokens of the tool call's arguments. */
  argumentTokens: string[];
  finishReason: 'stop' | 'length' | 'tool_calls';
}

export interface CompletionPlan {
  id: string;
  created: number;
  model: string;
  choices: PlannedChoice[];
  usage: ChatUsage;
}

export interface PlanOptions {
  /** Fixed answer text (`settings.response`), instead of the composed one. */
  fixedText: string | null;
  /** This answer to a `json_schema` request must violate the schema (`settings.invalid_json_first_n`). */
  violateSchema: boolean;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The request parts that decide the answer; stream settings and `user` do not. */
function requestFingerprint(request: ChatCompletionRequest, model: string): string {
  const { stream, stream_options: streamOptions, user, ...rest } = request;
  void stream; void streamOptions; void user;
  return JSON.stringify({ ...rest, model });
}

/** The tool a request forces, or (with `tool_choice` auto) one whose name the last user message mentions. */
function chosenTool(request: ChatCompletionRequest): FunctionTool | null {
  const tools = (request.tools ?? []).filter((tool): tool is FunctionTool => tool.type === 'function');
  const choice = request.tool_choice;
  if (tools.length === 0 || choice === 'none') return null;
  if (isRecord(choice) && choice.type === 'function' && isRecord(choice.function)) {
    const name = choice.function.name;
    const tool = tools.find((candidate) => candidate.function.name === name);
    if (!tool) throw new UpstreamHttpError('client', `tool_choice names a function "${String(name)}" that is not in tools.`, { upstreamStatus: 400, providerCode: 'invalid_request_error' });
    return tool;
  }
  if (choice === 'required') return tools[0]!;
  const last = request.messages.at(-1);
  if (last?.role !== 'user') return null;
  const text = messageText(last).toLowerCase();
  return tools.find((tool) => text.includes(tool.function.name.toLowerCase()) || text.includes(tool.function.name.replace(/_/g, ' ').toLowerCase())) ?? null;
}

/** Output that breaks the schema for sure: a missing required property, or no JSON at all. */
function violatingJson(schema: Record<string, unknown>, valid: unknown): string {
  if (isRecord(valid) && Array.isArray(schema.required) && typeof schema.required[0] === 'string') {
    const broken = { ...valid };
    delete broken[schema.required[0]];
    return JSON.stringify(broken);
  }
  return 'I am sorry, but I cannot produce that JSON right now.';
}

function schemaInstance(schema: Record<string, unknown>, random: SeededRandom): unknown {
  try {
    return generateSchemaInstance(schema, random);
  } catch (error) {
    // A real provider rejects a schema it cannot use with a 400; so does the mock.
    throw new UpstreamHttpError('client', `Invalid schema: ${(error as Error).message}`, { upstreamStatus: 400, providerCode: 'invalid_request_error', cause: error });
  }
}

/** The answer text (or JSON text) for one choice, before stop/length cuts. */
function answerText(request: ChatCompletionRequest, random: SeededRandom, options: PlanOptions): string {
  const format = request.response_format;
  if (format?.type === 'json_schema') {
    const schema = isRecord(format.json_schema.schema) ? format.json_schema.schema : { type: 'object' };
    const instance = schemaInstance(schema, random);
    return options.violateSchema ? violatingJson(schema, instance) : JSON.stringify(instance);
  }
  const text = options.fixedText ?? composeTextAnswer(request, random);
  if (format?.type === 'json_object') return JSON.stringify({ answer: text });
  return text;
}

/** Cuts a text at the first stop sequence (excluded, as OpenAI does). */
function applyStop(text: string, stop: ChatCompletionRequest['stop']): string {
  const sequences = (typeof stop === 'string' ? [stop] : stop ?? []).filter((sequence) => sequence.length > 0);
  let cut = -1;
  for (const sequence of sequences) {
    const at = text.indexOf(sequence);
    if (at !== -1 && (cut === -1 || at < cut)) cut = at;
  }
  return cut === -1 ? text : text.slice(0, cut);
}

/** Plans the whole answer of a request. */
export function planCompletion(request: ChatCompletionRequest, model: string, options: PlanOptions): CompletionPlan {
  const fingerprint = requestFingerprint(request, model);
  const digest = createHash('sha256').update(fingerprint).digest('hex');
  const limit = request.max_completion_tokens ?? request.max_tokens ?? Number.POSITIVE_INFINITY;
  const tool = chosenTool(request);
  const choiceCount = Math.min(request.n ?? 1, 8);
  const choices: PlannedChoice[] = [];
  for (let index = 0; index < choiceCount; index++) {
    const random = seededRandom(`${fingerprint}#${index}`);
    if (tool !== null) {
      const parameters = isRecord(tool.function.parameters) ? tool.function.parameters : { type: 'object', properties: {} };
      const tokens = mockTokenize(JSON.stringify(schemaInstance(parameters, random)));
      choices.push({
        contentTokens: [],
        toolCall: { id: `call_${digest.slice(index * 2, index * 2 + 24)}`, type: 'function', function: { name: tool.function.name, arguments: '' } },
        argumentTokens: tokens.slice(0, limit),
        finishReason: tokens.length > limit ? 'length' : 'tool_calls',
      });
      continue;
    }
    const tokens = mockTokenize(applyStop(answerText(request, random, options), request.stop));
    choices.push({
      contentTokens: tokens.slice(0, limit),
      toolCall: null,
      argumentTokens: [],
      finishReason: tokens.length > limit ? 'length' : 'stop',
    });
  }
  const prompt = promptTokens(request);
  const completion = choices.reduce((sum, choice) => sum + choice.contentTokens.length + choice.argumentTokens.length, 0);
  return {
    id: `chatcmpl-mock-${digest.slice(0, 24)}`,
    created: Math.floor(Date.now() / 1000),
    model,
    choices,
    usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, prompt_tokens_details: { cached_tokens: 0 } },
  };
}

/** The plan as a `chat.completion`. */
export function completionFromPlan(plan: CompletionPlan): ChatCompletion {
  return {
    id: plan.id,
    object: 'chat.completion',
    created: plan.created,
    model: plan.model,
    choices: plan.choices.map((choice, index) => ({
      index,
      message: choice.toolCall === null
        ? { role: 'assistant' as const, content: choice.contentTokens.join(''), refusal: null }
        : { role: 'assistant' as const, content: null, refusal: null, tool_calls: [{ ...choice.toolCall, function: { ...choice.toolCall.function, arguments: choice.argumentTokens.join('') } }] },
      logprobs: null,
      finish_reason: choice.finishReason,
    })),
    usage: plan.usage,
    system_fingerprint: 'fp_mock',
  };
}

/** A chunk of the plan's stream with the given choices (or none, for the usage chunk). */
export function planChunk(plan: CompletionPlan, choices: ChatCompletionChunk['choices'], usage: ChatUsage | null): ChatCompletionChunk {
  return { id: plan.id, object: 'chat.completion.chunk', created: plan.created, model: plan.model, system_fingerprint: 'fp_mock', choices, usage };
}
