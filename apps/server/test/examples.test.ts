import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { SaaSLLMClient } from '@saas-llm/sdk';
import { readSse } from './helpers/sse.ts';
import { isolatedEnv, runExampleScript, startDemoGateway, startProcess, type RunningProcess } from './helpers/example-processes.ts';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const RULE = '-'.repeat(60);

/** What the page's MutationObserver saw: the last assistant message's text and the stats line, per DOM update. */
interface DomRecord {
  text: string | null;
  stats: string;
}

/**
 * Every seed example, run as `npm run example:<name>` runs it, against `saas-llm serve --demo` (the mock
 * provider) in a fresh data directory, reading the demo.env it writes; outputs and the jobs they leave
 * behind are checked. The streaming chain is checked over HTTP and in a real headless Chromium.
 */
describe('the seed examples against saas-llm serve --demo', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'saas-llm-examples-'));
  const env = isolatedEnv({ SAAS_LLM_DATA_DIR: dataDir });
  let gateway: RunningProcess;
  let client: SaaSLLMClient;

  before(async () => {
    gateway = await startDemoGateway(dataDir);
    const demo = Object.fromEntries(readFileSync(join(dataDir, 'demo.env'), 'utf8').trim().split('\n').map((line) => line.split('=') as [string, string]));
    client = new SaaSLLMClient({ apiUrl: demo['SAAS_API_URL']!, virtualKey: demo['SAAS_VIRTUAL_KEY']!, teamId: demo['SAAS_TEAM_ID']! });
  });
  after(async () => {
    await gateway?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('basic-usage prints the job, the answer, the usage, and completes the job', async () => {
    const run = await runExampleScript('examples/basic-usage.ts', env);
    assert.equal(run.code, 0, run.stderr);
    const match = new RegExp(
      `^Creating job\\.\\.\\.\\nJob created: (${UUID})\\n\\nMaking chat completion\\.\\.\\.\\n\\nAssistant: The capital of France is Paris\\.\\n\\n`
      + 'Usage: \\{ prompt_tokens: (\\d+), completion_tokens: (\\d+), total_tokens: (\\d+) \\}\\n\\nCompleting job\\.\\.\\.\\nJob completed!\\n',
    ).exec(run.stdout);
    assert.ok(match, run.stdout);
    assert.equal(Number(match[4]), Number(match[2]) + Number(match[3]));
    const job = await client.getJob(match[1]!);
    assert.equal(job.status, 'completed');
    assert.equal(job.job_type, 'chat_example');
    assert.deepEqual(job.result, { response: 'The capital of France is Paris.' });
    assert.equal(job.costs.total_tokens, Number(match[4]));
  });

  test('streaming prints the text as it arrives (many separate writes), then usage and the length', async () => {
    const run = await runExampleScript('examples/streaming.ts', env);
    assert.equal(run.code, 0, run.stderr);
    const match = new RegExp(
      `Job created: (${UUID})\\n\\nStreaming response:\\n\\n${RULE}\\n([\\s\\S]+?)\\n\\n${RULE}\\n`
      + `Usage: \\{ prompt_tokens: \\d+, completion_tokens: (\\d+), total_tokens: \\d+ \\}\\n${RULE}\\n\\nFull response length: (\\d+) characters\\n`,
    ).exec(run.stdout);
    assert.ok(match, run.stdout);
    const streamed = match[2]!;
    assert.match(streamed, /Write a short poem about the ocean/, 'the mock quotes the question');
    assert.equal(Number(match[4]), streamed.length);
    // The text reached the terminal in pieces, not in one write at the end.
    const start = run.pieces.findIndex((piece) => piece.includes(`${RULE}\n`));
    const end = run.pieces.findIndex((piece) => piece.includes('Usage:'));
    assert.ok(end - start >= 3, `the streamed text arrived in ${end - start + 1} reads`);
    assert.match(run.stdout, /Completing job\.\.\.\nJob completed!/);
    const job = await client.getJob(match[1]!);
    assert.equal(job.status, 'completed');
    assert.equal(job.costs.completion_tokens, Number(match[3]));
    assert.deepEqual(job.result, { response: streamed });
  });

  test('structured-outputs prints the four examples, each answer validated, and completes four jobs', async () => {
    const run = await runExampleScript('examples/structured-outputs.ts', env);
    assert.equal(run.code, 0, run.stderr);
    const out = run.stdout;
    for (const heading of ['Example 1: Simple Person Extraction', 'Example 2: Resume Parsing', 'Example 3: Sentiment Analysis', 'Example 4: Streaming Structured Output']) {
      assert.match(out, new RegExp(`={60}\\n${heading}\\n={60}`));
    }
    const person = /Extracted Person:\n {2}Name: (.+)\n {2}Age: (\d+|unknown)\n {2}Occupation: (.+)\n\nType: Person \(validated by its zod schema: valid\)/.exec(out);
    assert.ok(person, out);
    assert.match(out, /Parsed Resume:\n {2}Name: .+\n {2}Email: \S+@\S+\n {2}Phone: .+\n {2}Skills: .+\n {2}Experience: (\d+|\?) years\n {2}Education:\n( {4}- .+\n)*/);
    const confidence = /Sentiment Analysis:\n {2}Sentiment: .+\n {2}Confidence: (\d+\.\d\d)%\n {2}Key Phrases:/.exec(out);
    assert.ok(confidence && Number(confidence[1]) >= 0 && Number(confidence[1]) <= 100, out);
    const streamed = /Streaming JSON chunks:\n-{60}\n(\{.*\})\n-{60}\n(\d+) partial objects received while streaming/.exec(out);
    assert.ok(streamed, out);
    assert.ok(Number(streamed[2]) >= 3);
    const streamedPerson = JSON.parse(streamed[1]!) as { name: string };
    assert.match(out, new RegExp(`Parsed Person:\\n {2}Name: ${streamedPerson.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`));
    assert.match(out, /={60}\nAll examples completed!\n={60}\n$/);

    const types = ['structured_extraction', 'resume_parsing', 'sentiment_analysis', 'streaming_structured'];
    const jobs = (await client.listJobs({ limit: 50 })).jobs.filter((job) => types.includes(job.job_type));
    assert.deepEqual(jobs.map((job) => job.job_type).sort(), [...types].sort());
    for (const job of jobs) {
      assert.equal(job.status, 'completed', job.job_type);
      assert.ok(job.result && Object.keys(job.result).length > 0, `${job.job_type} stored its result`);
    }
    assert.equal(jobs.find((job) => job.job_type === 'structured_extraction')?.result?.['name'], person[1]);
  });

  describe('the streaming chain: browser ← middle tier ← gateway', () => {
    let chain: RunningProcess;
    before(async () => {
      chain = await startProcess('examples/streaming-chain/server.ts', [], { ...env, PORT: '0', HOST: '127.0.0.1' }, /Client server listening on (http:\/\/127\.0\.0\.1:\d+)/);
    });
    after(async () => { await chain?.stop(); });

    test('over HTTP: the page at /, JSON chat, SSE of real JSON events, a job per request, errors as events, CORS', async () => {
      const page = await fetch(`${chain.url}/`);
      assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(await page.text(), /id="chatContainer"/);
      const preflight = await fetch(`${chain.url}/api/chat/stream`, { method: 'OPTIONS', headers: { origin: 'null', 'access-control-request-method': 'POST' } });
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers.get('access-control-allow-origin'), '*');

      const post = (path: string, body: unknown) => fetch(chain.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const plain = await post('/api/chat', { messages: [{ role: 'user', content: 'What is the capital of Japan?' }], model_group: 'chat-balanced', temperature: 0.2 });
      assert.equal(plain.status, 200);
      const answer = await plain.json() as { content: string; usage: { total_tokens: number }; job_id: string };
      assert.equal(answer.content, 'The capital of Japan is Tokyo.');
      assert.ok(answer.usage.total_tokens > 0);
      assert.equal((await client.getJob(answer.job_id)).status, 'completed');

      const streamed = await post('/api/chat/stream', { messages: [{ role: 'user', content: 'Tell me about the ocean' }], model_group: 'chat-fast' });
      assert.match(streamed.headers.get('content-type') ?? '', /^text\/event-stream/);
      assert.equal(streamed.headers.get('x-accel-buffering'), 'no');
      assert.equal(streamed.headers.get('access-control-allow-origin'), '*');
      const events = (await readSse(streamed)).frames.map((frame) => JSON.parse(frame) as Record<string, any>);
      const kinds = events.map((event) => event['event'] as string);
      assert.equal(kinds[0], 'job_created');
      assert.deepEqual(kinds.slice(-2), ['usage', 'done']);
      const contents = events.filter((event) => event['event'] === 'content');
      assert.ok(contents.length >= 5 && contents.length === kinds.length - 3, `${contents.length} content events`);
      const text = contents.map((event) => event['content'] as string).join('');
      assert.match(text, /Tell me about the ocean/);
      const jobId = events[0]!['job_id'] as string;
      assert.equal(events.at(-1)!['job_id'], jobId);
      const job = await client.getJob(jobId);
      assert.equal(job.status, 'completed');
      assert.deepEqual(job.result, { response: text });
      assert.equal(job.costs.total_tokens, events.at(-2)!['usage'].total_tokens);

      const failing = await post('/api/chat/stream', { messages: [{ role: 'user', content: 'x' }], model_group: 'no-such-group' });
      const failure = (await readSse(failing)).frames.map((frame) => JSON.parse(frame) as Record<string, any>);
      assert.deepEqual(failure.map((event) => event['event']), ['job_created', 'error']);
      assert.equal(failure[1]!['code'], 'model_not_found');
      assert.equal((await client.getJob(failure[0]!['job_id'])).status, 'failed');
      const invalid = await post('/api/chat', { messages: [] });
      assert.equal(invalid.status, 400);
      assert.match(((await invalid.json()) as { error: string }).error, /messages/);
    });

    test('a browser that leaves mid-stream cancels the whole chain: the gateway call and the job end cancelled', async () => {
      const controller = new AbortController();
      const response = await fetch(`${chain.url}/api/chat/stream`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, signal: controller.signal,
        body: JSON.stringify({ messages: [{ role: 'user', content: 'Write a long essay about the sea' }], model_group: 'chat-quality', max_tokens: 2000 }),
      });
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let received = '';
      while (!/"event":"content"[\s\S]*"event":"content"/.test(received)) {
        const { done, value } = await reader.read();
        assert.equal(done, false, 'the stream ended before two content events');
        received += decoder.decode(value, { stream: true });
      }
      const jobId = /"job_id":"([^"]+)"/.exec(received)![1]!;
      controller.abort();
      let job = await client.getJob(jobId);
      for (let tries = 0; tries < 250 && job.status !== 'cancelled'; tries += 1) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        job = await client.getJob(jobId);
      }
      assert.equal(job.status, 'cancelled');
      const [call] = (await client.getJobCosts(jobId)).costs.breakdown;
      const record = await client.getCall(jobId, call!.call_id);
      assert.equal(record.status, 'cancelled');
      assert.ok(record.completion_tokens < 2000, `${record.completion_tokens} tokens metered before the cancel`);
    });

    test('in headless Chromium: streamed text grows over several DOM updates before done; stats show job and tokens; non-streaming works', {
      skip: existsSync(CHROMIUM) ? false : `skipped: ${CHROMIUM} is absent (apt-get install chromium)`,
    }, async (t) => {
      const userDataDir = mkdtempSync(join(tmpdir(), 'saas-llm-chromium-'));
      const context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
      try {
        const page = await context.newPage();
        const pageErrors: string[] = [];
        page.on('pageerror', (error) => pageErrors.push(error.message));
        await page.goto(`${chain.url}/`);
        await page.getByText('Connected to the client server').waitFor();
        await page.evaluate(() => {
          const records: DomRecord[] = [];
          (window as unknown as { records: DomRecord[] }).records = records;
          // Callbacks are batched per task: each record is one batch of DOM changes the user could see.
          new MutationObserver(() => {
            const assistants = document.querySelectorAll('.message.assistant');
            records.push({ text: assistants[assistants.length - 1]?.textContent ?? null, stats: document.getElementById('stats')!.textContent ?? '' });
          }).observe(document.body, { childList: true, subtree: true, characterData: true });
        });

        await page.selectOption('#modelGroup', 'chat-quality'); // the slowest demo group: 50 tokens/s
        await page.fill('#messageInput', 'Explain how the streaming chain works');
        await page.click('#sendBtn');
        await page.waitForFunction(() => /Job: [0-9a-f-]{36} \| Tokens: \d+/.test(document.getElementById('stats')!.textContent ?? ''));
        const records = await page.evaluate(() => (window as unknown as { records: DomRecord[] }).records);
        const finalText = await page.locator('.message.assistant').last().textContent();
        assert.ok(finalText && finalText.length > 40, `answer: ${finalText}`);
        const beforeDone = records.filter((record) => record.stats === '' && record.text !== null).map((record) => record.text!);
        const growth = beforeDone.filter((text, index) => index === 0 || text !== beforeDone[index - 1]);
        assert.ok(growth.length >= 3, `the answer grew over ${growth.length} DOM updates before done`);
        assert.ok(growth[0]!.length < finalText.length, 'the first update showed only the beginning');
        for (const [index, text] of growth.entries()) {
          assert.ok(finalText.startsWith(text), `update ${index} is a prefix of the answer`);
          if (index > 0) assert.ok(text.length > growth[index - 1]!.length);
        }
        const stats = (await page.textContent('#stats'))!;
        const statsMatch = new RegExp(`^Job: (${UUID}) \\| Tokens: (\\d+) \\(prompt: \\d+, completion: \\d+\\) \\| Time: \\d+ms$`).exec(stats);
        assert.ok(statsMatch, stats);
        const job = await client.getJob(statsMatch[1]!);
        assert.equal(job.status, 'completed');
        assert.equal(job.costs.total_tokens, Number(statsMatch[2]));
        assert.deepEqual(job.model_groups_used, ['chat-quality']);

        const artifacts = process.env.TEST_ARTIFACTS_DIR ?? join(tmpdir(), 'saas-llm-test-artifacts');
        mkdirSync(artifacts, { recursive: true });
        const screenshot = join(artifacts, 'streaming-chain.png');
        await page.screenshot({ path: screenshot, fullPage: true });
        t.diagnostic(`screenshot: ${screenshot}`);

        await page.uncheck('#streamMode');
        await page.selectOption('#modelGroup', 'chat-fast');
        await page.fill('#messageInput', 'What is the capital of Japan?');
        await page.click('#sendBtn');
        await page.waitForFunction((previous) => {
          const text = document.getElementById('stats')!.textContent ?? '';
          return text !== previous && /Job: [0-9a-f-]{36} \| Tokens: \d+/.test(text);
        }, stats);
        assert.equal(await page.locator('.message.assistant').last().textContent(), 'The capital of Japan is Tokyo.');
        const secondJob = /Job: (\S+)/.exec((await page.textContent('#stats'))!)![1]!;
        assert.notEqual(secondJob, statsMatch[1]);
        assert.equal((await client.getJob(secondJob)).status, 'completed');
        assert.equal(await page.locator('.message.error').count(), 0);
        assert.deepEqual(pageErrors, []);
      } finally {
        await context.close();
        rmSync(userDataDir, { recursive: true, force: true });
      }
    });
  });
});
