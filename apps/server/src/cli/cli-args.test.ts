import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError, convertValue, parseArgv, toMember } from './cli-args.ts';

const SWITCHES = new Set(['json', 'force', 'help', 'active']);

describe('parseArgv', () => {
  test('splits positionals, value flags and switches, in any order', () => {
    const parsed = parseArgv(['--json', 'teams', 'create', 'acme-support', '--organization-id', 'demo', '--credits=100', '--force'], SWITCHES);
    assert.deepEqual(parsed.positionals, ['teams', 'create', 'acme-support']);
    assert.deepEqual(Object.fromEntries(parsed.values), { 'organization-id': ['demo'], credits: ['100'] });
    assert.deepEqual(Object.fromEntries(parsed.switches), { json: true, force: true });
  });

  test('keeps every occurrence of a repeated flag', () => {
    const parsed = parseArgv(['--access-group', 'chat', '--access-group', 'vision'], SWITCHES);
    assert.deepEqual(parsed.values.get('access-group'), ['chat', 'vision']);
  });

  test('a value may start with a single dash (negative amounts)', () => {
    const parsed = parseArgv(['credits', 'adjust', 't1', '--credits', '-50', '-7'], SWITCHES);
    assert.deepEqual(parsed.values.get('credits'), ['-50']);
    assert.deepEqual(parsed.positionals, ['credits', 'adjust', 't1', '-7']);
  });

  test('switches turn off with --no-name or --name=false', () => {
    assert.equal(parseArgv(['--no-active'], SWITCHES).switches.get('active'), false);
    assert.equal(parseArgv(['--active=false'], SWITCHES).switches.get('active'), false);
    assert.equal(parseArgv(['--active=yes'], SWITCHES).switches.get('active'), true);
  });

  test('-h is --help, and -- ends the flags', () => {
    const parsed = parseArgv(['-h', '--', '--not-a-flag'], SWITCHES);
    assert.equal(parsed.switches.get('help'), true);
    assert.deepEqual(parsed.positionals, ['--not-a-flag']);
  });

  test('a value flag without its value is a usage error', () => {
    assert.throws(() => parseArgv(['--organization-id'], SWITCHES), UsageError);
    assert.throws(() => parseArgv(['--organization-id', '--json'], SWITCHES), /--organization-id needs a value/);
  });

  test('an empty --name= value is kept (the schema decides whether it is allowed)', () => {
    assert.deepEqual(parseArgv(['--reason='], SWITCHES).values.get('reason'), ['']);
  });
});

describe('convertValue', () => {
  test('numbers and integers', () => {
    assert.equal(convertValue(['100'], 'number', '--credits'), 100);
    assert.equal(convertValue(['-2.5'], 'number', '--credits'), -2.5);
    assert.equal(convertValue(['60'], 'integer', '--rpm-limit'), 60);
    assert.throws(() => convertValue(['ten'], 'number', '--credits'), /--credits must be a number, got 'ten'/);
    assert.throws(() => convertValue([''], 'number', '--credits'), UsageError);
    assert.throws(() => convertValue(['1.5'], 'integer', '--rpm-limit'), /whole number/);
  });

  test('nullable flags take none to clear a setting', () => {
    assert.equal(convertValue(['none'], 'integer', '--rpm-limit', true), null);
    assert.throws(() => convertValue(['none'], 'integer', '--rpm-limit'), UsageError);
  });

  test('lists take repeats and commas, and drop empty items', () => {
    assert.deepEqual(convertValue(['chat,vision', 'tools', ' , '], 'list', '--access-group'), ['chat', 'vision', 'tools']);
  });

  test('a single-valued flag given twice is refused rather than silently picking one', () => {
    assert.throws(() => convertValue(['1', '2'], 'number', '--credits'), /given 2 times/);
  });

  test('JSON flags must hold an object', () => {
    assert.deepEqual(convertValue(['{"tier":"gold"}'], 'json', '--metadata'), { tier: 'gold' });
    assert.throws(() => convertValue(['[1]'], 'json', '--metadata'), /JSON object/);
    assert.throws(() => convertValue(['{tier'], 'json', '--metadata'), /--metadata must be a JSON object/);
  });

  test('booleans', () => {
    assert.equal(convertValue(['off'], 'boolean', '--active'), false);
    assert.throws(() => convertValue(['maybe'], 'boolean', '--active'), UsageError);
  });

  test('members read alias[:priority[:weight]]', () => {
    assert.deepEqual(convertValue(['gpt-4o-mini:0', 'mock-fast:1:5,backup'], 'members', '--member'), [
      { alias: 'gpt-4o-mini', priority: 0 },
      { alias: 'mock-fast', priority: 1, weight: 5 },
      { alias: 'backup' },
    ]);
  });
});

describe('toMember', () => {
  test('an alias containing a colon keeps it; numbers are read from the end', () => {
    assert.deepEqual(toMember('openai:gpt-4o:2', '--member'), { alias: 'openai:gpt-4o', priority: 2 });
    assert.deepEqual(toMember('openai:gpt-4o', '--member'), { alias: 'openai:gpt-4o' });
  });

  test('a member without an alias is refused', () => {
    assert.throws(() => toMember(':1', '--member'), UsageError);
  });
});
