import { textPieces } from './fake-openai-payloads.ts';

/*
 * Bodies shaped exactly like the Gemini API's documented answers (`GenerateContentResponse` with
 * candidates, parts, finishReason, safetyRatings, usageMetadata, modelVersion, responseId; the
 * `streamGenerateContent?alt=sse` frames; the google.rpc error body), for the fake Gemini server.
 */

/** A `functionCall` part the fake answers with (Gemini sends no id unless asked; `id` adds one). */
export interface FakeFunctionCall {
  name: string;
  args: Record<string, unknown>;
  id?: string;
}

export interface GeminiUsageMetadata {
  promptTokenCount: number;
  candidatesTokenCount?: number;
  totalTokenCount: number;
  cachedContentTokenCount?: number;
  thoughtsTokenCount?: number;
  promptTokensDetails: Array<{ modality: string; tokenCount: number }>;
}

export interface GeminiShape {
  responseId: string;
  modelVersion: string;
}

export interface FakeGeminiPlan {
  text: string;
  functionCalls: FakeFunctionCall[];
  finishReason: string;
  usage: GeminiUsageMetadata | null;
  /** Set: the prompt was blocked (`promptFeedback.blockReason`), no candidates. */
  blockReason: string | null;
}

const SAFETY_RATINGS = ['HARM_CATEGORY_HATE_SPEECH', 'HARM_CATEGORY_DANGEROUS_CONTENT', 'HARM_CATEGORY_HARASSMENT', 'HARM_CATEGORY_SEXUALLY_EXPLICIT']
  .map((category) => ({ category, probability: 'NEGLIGIBLE' }));

/** Gemini-like usage: prompt ≈ request JSON length / 4 (cached tokens included, as Gemini counts them). */
export function geminiUsage(requestBody: Record<string, unknown>, candidates: number, cached = 0, thoughts = 0): GeminiUsageMetadata {
  const prompt = Math.max(1, Math.ceil(JSON.stringify([requestBody.systemInstruction ?? '', requestBody.contents ?? '']).length / 4));
  const usage: GeminiUsageMetadata = {
    promptTokenCount: prompt,
    candidatesTokenCount: candidates,
    totalTokenCount: prompt + candidates + thoughts,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: prompt }],
  };
  if (cached > 0) usage.cachedContentTokenCount = cached;
  if (thoughts > 0) usage.thoughtsTokenCount = thoughts;
  return usage;
}

function candidate(parts: unknown[] | null, finishReason: string | null): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (parts !== null) body.content = { parts, role: 'model' };
  if (finishReason !== null) {
    body.finishReason = finishReason;
    body.safetyRatings = finishReason === 'SAFETY' ? SAFETY_RATINGS.map((rating, index) => (index === 1 ? { ...rating, probability: 'HIGH', blocked: true } : rating)) : SAFETY_RATINGS;
  }
  body.index = 0;
  return body;
}

function response(shape: GeminiShape, candidates: unknown[] | null, usage: GeminiUsageMetadata | null, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const body: Record<string, unknown> = { ...(candidates === null ? {} : { candidates }), ...extra };
  if (usage !== null) body.usageMetadata = usage;
  body.modelVersion = shape.modelVersion;
  body.responseId = shape.responseId;
  return body;
}

function partsOf(plan: FakeGeminiPlan, text: string): unknown[] {
  const parts: unknown[] = [];
  if (text.length > 0) parts.push({ text });
  for (const call of plan.functionCalls) parts.push({ functionCall: { ...(call.id ? { id: call.id } : {}), name: call.name, args: call.args } });
  return parts;
}

/** The non-streaming `generateContent` answer. */
export function generateContentBody(shape: GeminiShape, plan: FakeGeminiPlan): Record<string, unknown> {
  if (plan.blockReason !== null) return response(shape, null, plan.usage, { promptFeedback: { blockReason: plan.blockReason, safetyRatings: SAFETY_RATINGS } });
  const blocked = plan.finishReason !== 'STOP' && plan.finishReason !== 'MAX_TOKENS';
  return response(shape, [candidate(blocked && plan.text === '' ? null : partsOf(plan, plan.text), plan.finishReason)], plan.usage);
}

/**
 * The `streamGenerateContent?alt=sse` payloads: one response per text piece (each with the running
 * prompt usage, as Gemini sends it), function calls together in one, and the finish reason with the
 * full usage on the last.
 */
export function streamBodies(shape: GeminiShape, plan: FakeGeminiPlan): Record<string, unknown>[] {
  if (plan.blockReason !== null) return [generateContentBody(shape, plan)];
  const pieces = textPieces(plan.text);
  const running = plan.usage === null ? null : { promptTokenCount: plan.usage.promptTokenCount, totalTokenCount: plan.usage.promptTokenCount, promptTokensDetails: plan.usage.promptTokensDetails };
  const bodies: Record<string, unknown>[] = [];
  const last = plan.functionCalls.length > 0 ? -1 : pieces.length - 1;
  pieces.forEach((piece, index) => {
    bodies.push(response(shape, [candidate([{ text: piece }], index === last ? plan.finishReason : null)], index === last ? plan.usage : running));
  });
  if (plan.functionCalls.length > 0) bodies.push(response(shape, [candidate(partsOf(plan, ''), plan.finishReason)], plan.usage));
  if (bodies.length === 0) bodies.push(response(shape, [candidate(null, plan.finishReason)], plan.usage));
  return bodies;
}

/** Gemini frames SSE events with CRLF line ends. */
export function geminiFrame(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\r\n\r\n`;
}

/** The google.rpc error body Gemini answers with. */
export function geminiErrorBody(code: number, message: string, status: string, details?: unknown[]): Record<string, unknown> {
  return { error: { code, message, status, ...(details ? { details } : {}) } };
}

/** Gemini's status name and message for an HTTP status. */
export function geminiErrorOf(status: number): { status: string; message: string } {
  if (status === 503) return { status: 'UNAVAILABLE', message: 'The model is overloaded. Please try again later.' };
  if (status === 429) return { status: 'RESOURCE_EXHAUSTED', message: 'Resource has been exhausted (e.g. check quota).' };
  if (status === 404) return { status: 'NOT_FOUND', message: 'models/unknown is not found for API version v1beta, or is not supported for generateContent.' };
  if (status === 403) return { status: 'PERMISSION_DENIED', message: 'Method doesn\'t allow unregistered callers (callers without established identity).' };
  if (status === 504) return { status: 'DEADLINE_EXCEEDED', message: 'Deadline expired before operation could complete.' };
  if (status >= 500) return { status: 'INTERNAL', message: 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting' };
  return { status: 'INVALID_ARGUMENT', message: 'Request contains an invalid argument.' };
}
