import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorEnvelope } from '@saas-llm/protocol';
import { ADMIN_RESOURCES, ADMIN_USAGE, runAdminCommand } from './admin-commands.ts';

interface Received {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  headers: IncomingHttpHeaders;
}

/**
 * A stand-in for the gateway's admin API on loopback: records each request and answers with the next
 * scripted answer, or 200 with an empty object.
 */
let server: Server;
let url = '';
const received: Received[] = [];
const answers: Array<{ status: number; body?: unknown }> = [];

before(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const parsed = new URL(request.url ?? '/', 'http://localhost');
      const text = Buffer.concat(chunks).toString('utf8');
      received.push({ method: request.method ?? '', path: parsed.pathname, query: Object.fromEntries(parsed.searchParams), body: text ? JSON.parse(text) : undefined, headers: request.headers });
      const answer = answers.shift() ?? { status: 200, body: {} };
      response.writeHead(answer.status, { 'content-type': 'application/json', 'x-request-id': 'req-42' });
      response.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  received.length = 0;
  answers.length = 0;
});

/** Runs the CLI with captured output and an environment pointing at the stand-in server. */
async function run(argv: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runAdminCommand(argv, {
    stdout: { write: (text: string) => { stdout += text; } },
    stderr: { write: (text: string) => { stderr += text; } },
    env: { SAAS_API_URL: url, SAAS_LLM_MASTER_KEY: 'master-key', ...env },
  });
  return { code, stdout, stderr };
}

describe('flags become the request', () => {
  test('teams create maps flags to body fields and prints the raw answer with --json', async () => {
    const created = { team_id: 'acme-support', organization_id: 'demo', credits_allocated: 100, virtual_key: 'sk-sl-abc' };
    answers.push({ status: 200, body: created });
    const result = await run(['teams', 'create', 'acme-support', '--organization-id', 'demo', '--credits', '100', '--access-group', 'chat', '--budget-mode', 'job_based', '--json']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(received.length, 1);
    const [request] = received;
    assert.equal(request?.method, 'POST');
    assert.equal(request?.path, '/api/teams/create');
    assert.deepEqual(request?.body, { team_id: 'acme-support', organization_id: 'demo', credits_allocated: 100, access_groups: ['chat'], budget_mode: 'job_based' });
    assert.equal(request?.headers['x-admin-key'], 'master-key');
    assert.deepEqual(JSON.parse(result.stdout), created);
  });

  test('without --json the answer is a readable summary, with the once-only key called out', async () => {
    answers.push({ status: 200, body: { team_id: 't1', status: 'active', virtual_key: 'sk-sl-secret' } });
    const result = await run(['teams', 'create', 't1', '--organization-id', 'demo']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^team_id\s+t1$/m);
    assert.match(result.stdout, /^virtual_key\s+sk-sl-secret$/m);
    assert.match(result.stdout, /not shown again/);
  });

  test('list answers print as a table of the known columns, wrapped or bare', async () => {
    answers.push({ status: 200, body: { teams: [{ team_id: 'alpha', organization_id: 'demo', status: 'active', credits_remaining: 10, access_groups: ['chat', 'vision'], secret_internal: 'x' }] } });
    const result = await run(['teams', 'list', '--organization-id', 'demo']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(received[0]?.query, { organization_id: 'demo' });
    const [header, row] = result.stdout.trimEnd().split('\n');
    assert.match(header ?? '', /^TEAM_ID\s+ORGANIZATION_ID\s+STATUS\s+CREDITS_REMAINING\s+ACCESS_GROUPS$/);
    assert.match(row ?? '', /^alpha\s+demo\s+active\s+10\s+chat, vision$/);
  });

  test('a top-up prints one line: the ledger row and the balance after it', async () => {
    answers.push({ status: 200, body: { team_id: 't1', transaction: { transaction_id: '7', type: 'allocation', amount: 250 }, balance: { credits_remaining: 300, credits_available: 290 } } });
    const result = await run(['credits', 'add', 't1', '250']);
    assert.equal(result.stdout, "Team 't1': allocation of +250 credits (transaction 7). Now 300 remaining, 290 available.\n");
  });

  test('lists inside one resource print as tables after its fields', async () => {
    answers.push({ status: 200, body: { name: 'chat-fast', strategy: 'priority', members: [{ alias: 'gpt-4o-mini', priority: 0, weight: 1 }, { alias: 'mock-fast', priority: 1, weight: 1 }] } });
    const result = await run(['groups', 'show', 'chat-fast']);
    assert.equal(result.stdout, [
      'name      chat-fast',
      'strategy  priority',
      '',
      'MEMBERS (2)',
      '  ALIAS        PRIORITY  WEIGHT',
      '  gpt-4o-mini  0         1',
      '  mock-fast    1         1',
      '',
    ].join('\n'));
  });

  test('credits add takes the amount as an argument or a flag', async () => {
    assert.equal((await run(['credits', 'add', 't1', '250', '--reason', 'top-up'])).code, 0);
    assert.equal((await run(['credits', 'add', 't1', '--credits', '0.5'])).code, 0);
    assert.deepEqual(received.map((request) => [request.method, request.path, request.body]), [
      ['POST', '/api/credits/teams/t1/add', { credits: 250, reason: 'top-up' }],
      ['POST', '/api/credits/teams/t1/add', { credits: 0.5 }],
    ]);
  });

  test('credits adjust accepts a negative amount', async () => {
    const result = await run(['credits', 'adjust', 't1', '--credits', '-5', '--reason', 'refund of a test job']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(received[0]?.body, { credits: -5, reason: 'refund of a test job' });
  });

  test('groups members reads alias[:priority[:weight]]', async () => {
    await run(['groups', 'members', 'chat-fast', '--member', 'gpt-4o-mini:0', '--member', 'mock-fast:1:3']);
    assert.equal(received[0]?.method, 'PUT');
    assert.equal(received[0]?.path, '/api/model-groups/chat-fast/models');
    assert.deepEqual(received[0]?.body, { members: [{ alias: 'gpt-4o-mini', priority: 0 }, { alias: 'mock-fast', priority: 1, weight: 3 }] });
  });

  test('models create turns --capabilities into the capabilities object', async () => {
    await run(['models', 'create', 'fast', '--provider', 'mock', '--model', 'mock-1', '--capabilities', 'tools,json_schema', '--input-price', '0.15']);
    assert.deepEqual(received[0]?.body, { alias: 'fast', provider: 'mock', model: 'mock-1', capabilities: { tools: true, json_schema: true }, input_price_per_million: 0.15 });
  });

  test('credentials create can read the provider key from the environment', async () => {
    await run(['credentials', 'create', '--provider', 'openai', '--name', 'main', '--api-key-env', 'OPENAI_API_KEY'], { OPENAI_API_KEY: 'sk-from-env' });
    assert.deepEqual(received[0]?.body, { provider: 'openai', name: 'main', api_key: 'sk-from-env' });
  });

  test('teams update sends null for a limit cleared with none; delete --force sets the query', async () => {
    await run(['teams', 'update', 't1', '--rpm-limit', 'none', '--markup', '20']);
    await run(['teams', 'delete', 't1', '--force']);
    assert.deepEqual(received[0]?.body, { rpm_limit: null, cost_markup_percentage: 20 });
    assert.deepEqual([received[1]?.method, received[1]?.path, received[1]?.query], ['DELETE', '/api/teams/t1', { force: 'true' }]);
  });

  test('--url and --session-token override the environment', async () => {
    const result = await run(['dashboard', '--url', url, '--session-token', 'sess-1'], { SAAS_API_URL: 'http://127.0.0.1:1' });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(received[0]?.path, '/api/stats/dashboard');
    assert.equal(received[0]?.headers['authorization'], 'Bearer sess-1');
    assert.equal(received[0]?.headers['x-admin-key'], undefined);
  });
});

describe('failures', () => {
  test("the server's refusal: its message on stderr, exit code 1", async () => {
    answers.push({ status: 409, body: errorEnvelope('conflict', "Team 't1' already exists.", 'team_id') });
    const result = await run(['teams', 'create', 't1', '--organization-id', 'demo']);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^Error: Team 't1' already exists\. \(code conflict, HTTP 409, field team_id, request id req-42\)$/m);
  });

  test('a 401 without credentials explains how to send them', async () => {
    answers.push({ status: 401, body: errorEnvelope('invalid_api_key', 'Admin authentication required.') });
    const result = await run(['teams', 'list'], { SAAS_LLM_MASTER_KEY: undefined });
    assert.equal(result.code, 1);
    assert.equal(received[0]?.headers['x-admin-key'], undefined);
    assert.match(result.stderr, /SAAS_LLM_MASTER_KEY/);
  });

  test('an unreachable gateway is exit code 1 with the URL it tried', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const result = await run(['credits', 'add', 't1', '5'], { SAAS_API_URL: deadUrl });
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`Is the gateway running at ${deadUrl.replace(/\./g, '\\.')}`));
  });

  const usageMistakes: Array<[string, string[], RegExp]> = [
    ['an unknown resource', ['widgets', 'list'], /Unknown command 'widgets'/],
    ['an unknown action', ['teams', 'explode'], /Unknown action 'explode' for 'teams'/],
    ['a missing action', ['teams'], /'teams' needs an action/],
    ['a missing argument', ['teams', 'show'], /Missing <team_id>/],
    ['an extra argument', ['teams', 'show', 'a', 'b'], /Unexpected argument 'b'/],
    ['an unknown flag', ['teams', 'list', '--colour', 'red'], /Unknown flag --colour for 'teams list'/],
    ['a missing required flag', ['teams', 'create', 't1'], /--organization-id is required/],
    ['a value the schema refuses', ['teams', 'create', 't1', '--organization-id', 'demo', '--budget-mode', 'free_lunch'], /--budget-mode/],
    ['a negative opening balance', ['teams', 'create', 't1', '--organization-id', 'demo', '--credits', '-5'], /--credits: must be 0 or more/],
    ['an update that changes nothing', ['teams', 'update', 't1'], /Nothing to change/],
    ['both credentials', ['teams', 'list', '--admin-key', 'a', '--session-token', 'b'], /not both/],
    ['an amount given twice', ['credits', 'add', 't1', '5', '--credits', '6'], /not both/],
  ];
  for (const [mistake, argv, message] of usageMistakes) {
    test(`${mistake}: exit code 2, the reason and a usage text, nothing sent`, async () => {
      const result = await run(argv);
      assert.equal(result.code, 2);
      assert.match(result.stderr, message);
      assert.match(result.stderr, /saas-llm /);
      assert.equal(received.length, 0);
    });
  }
});

describe('help', () => {
  test('help prints every resource on stdout with exit code 0', async () => {
    for (const argv of [['help'], ['admin-help'], ['--help']]) {
      const result = await run(argv);
      assert.equal(result.code, 0);
      assert.equal(result.stdout, ADMIN_USAGE);
    }
    for (const resource of ADMIN_RESOURCES) assert.match(ADMIN_USAGE, new RegExp(`^  ${resource.name}\\b`, 'm'));
  });

  test('a resource or command with --help shows its flags', async () => {
    const resourceHelp = await run(['help', 'teams']);
    assert.equal(resourceHelp.code, 0);
    assert.match(resourceHelp.stdout, /--organization-id <id>/);
    const commandHelp = await run(['credits', 'add', '--help']);
    assert.equal(commandHelp.code, 0);
    assert.match(commandHelp.stdout, /saas-llm credits add <team_id> \[<credits>\]/);
    assert.equal(received.length, 0);
  });

  test('no arguments at all is a usage error', async () => {
    const result = await run([]);
    assert.equal(result.code, 2);
    assert.equal(result.stderr, ADMIN_USAGE);
  });

  test('a flag name is a switch in every command or in none, so parsing never depends on the command', () => {
    const kinds = new Map<string, Set<boolean>>();
    for (const resource of ADMIN_RESOURCES) {
      for (const command of resource.commands) {
        for (const spec of command.flags) kinds.set(spec.name, (kinds.get(spec.name) ?? new Set()).add(spec.kind === 'boolean'));
      }
    }
    const mixed = [...kinds].filter(([, seen]) => seen.size > 1).map(([name]) => name);
    assert.deepEqual(mixed, []);
  });
});
