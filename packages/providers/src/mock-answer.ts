import type { ChatCompletionRequest, ChatMessage } from '@saas-llm/protocol';
import type { SeededRandom } from './seeded-random.ts';

/*
 * The mock's plain-text answers: readable, derived from the last user message, and the same for the same
 * request. A few question shapes get a real answer (capitals, small arithmetic, greetings, "reply with
 * …"); anything else gets a short deterministic paragraph that quotes the question, long enough to make
 * streaming visible.
 */

const CAPITALS: Record<string, string> = {
  france: 'Paris', germany: 'Berlin', italy: 'Rome', spain: 'Madrid', japan: 'Tokyo', canada: 'Ottawa', australia: 'Canberra',
  brazil: 'Brasília', india: 'New Delhi', china: 'Beijing', 'united kingdom': 'London', uk: 'London', 'united states': 'Washington, D.C.',
  usa: 'Washington, D.C.', mexico: 'Mexico City', egypt: 'Cairo', kenya: 'Nairobi', portugal: 'Lisbon', netherlands: 'Amsterdam',
  switzerland: 'Bern', sweden: 'Stockholm', norway: 'Oslo', poland: 'Warsaw', greece: 'Athens', ireland: 'Dublin',
};

const OPENINGS = [
  'Here is a short answer.',
  'Good question.',
  'Let me summarise the main points.',
  'In brief:',
];
const MIDDLES = [
  'The key idea is to break the problem into small, well-defined steps and check each one.',
  'It usually helps to start from a concrete example and generalise from there.',
  'The most reliable approach is the simplest one that meets the requirements.',
  'Trade-offs exist, so the right choice depends on your constraints.',
  'Clear names and small functions make the result easier to maintain.',
];
const CLOSINGS = [
  'Let me know if you would like more detail.',
  'I hope this helps.',
  'Feel free to ask a follow-up question.',
];

/** The text of a message's content (multi-part content joined). */
export function messageText(message: ChatMessage | undefined): string {
  const content = message?.content;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => ('text' in part && typeof part.text === 'string' ? part.text : '')).join(' ');
}

function arithmetic(question: string): string | null {
  const match = /(-?\d+(?:\.\d+)?)\s*([+\-*x×/])\s*(-?\d+(?:\.\d+)?)/.exec(question);
  if (!match) return null;
  const left = Number(match[1]);
  const right = Number(match[3]);
  const operator = match[2]!;
  const result = operator === '+' ? left + right : operator === '-' ? left - right : operator === '/' ? (right === 0 ? Number.NaN : left / right) : left * right;
  if (!Number.isFinite(result)) return 'That division is undefined.';
  return `${match[1]} ${operator} ${match[3]} = ${Number(result.toFixed(6))}.`;
}

/** The answer to a plain chat request (no tools forced, no JSON format). */
export function composeTextAnswer(request: ChatCompletionRequest, random: SeededRandom): string {
  const last = request.messages.at(-1);
  if (last?.role === 'tool' || last?.role === 'function') {
    const result = messageText(last).replace(/\s+/g, ' ').trim();
    return `Based on the tool result (${result.length > 120 ? `${result.slice(0, 117)}...` : result}), here is the answer you asked for.`;
  }
  const userMessage = [...request.messages].reverse().find((message) => message.role === 'user');
  const question = messageText(userMessage).replace(/\s+/g, ' ').trim();
  const lower = question.toLowerCase();
  const echo = /(?:reply|respond|answer|say)(?: only)?(?: with)?(?: exactly)?\s*[:"]\s*"?([^"]+?)"?\s*$/i.exec(question);
  if (echo) return echo[1]!;
  const capital = /capital (?:city )?of ([a-z .]+?)[?.!]*$/i.exec(lower);
  if (capital) {
    const country = capital[1]!.replace(/^the /, '').trim();
    const city = CAPITALS[country];
    if (city) return `The capital of ${country.replace(/\b\w/g, (letter) => letter.toUpperCase())} is ${city}.`;
  }
  const sum = arithmetic(question);
  if (sum !== null) return sum;
  if (/^(hi|hello|hey|good (morning|afternoon|evening))\b/i.test(question)) return 'Hello! How can I help you today?';
  if (question.length === 0) return 'Hello! How can I help you today?';
  const topic = question.length > 80 ? `${question.slice(0, 77)}...` : question;
  // Two different middle sentences: the second index skips the first.
  const first = random.int(0, MIDDLES.length - 1);
  const second = (first + 1 + random.int(0, MIDDLES.length - 2)) % MIDDLES.length;
  return [random.pick(OPENINGS), `You asked: "${topic}"`, MIDDLES[first], MIDDLES[second], random.pick(CLOSINGS)].join(' ');
}
