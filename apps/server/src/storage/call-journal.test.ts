import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CallJournal, readLeftoverJournals, type JournalEntry } from './call-journal.ts';

// Readable ids per test, shaped as the UUIDs the replay requires.
const ids = new Map<string, string>();
const id = (name: string) => ids.get(name) ?? ids.set(name, crypto.randomUUID()).get(name)!;
const nameOf = (callId: unknown) => [...ids].find(([, value]) => value === callId)?.[0];
const entry = (callId: string): JournalEntry => ({
  hold_micro: 5,
  settlement: {
    call: { call_id: id(callId), job_id: id('job'), team_id: 'team' }, attempts: [], worst_cost_nanos: 1, succeeded: true,
    model_group: 'g', metadata: null, reservation_id: null, actual_hold_micro: 0,
  },
});

test('an entry is in the file when record returns; a clean close removes the journal', () => {
  const dir = mkdtempSync(join(tmpdir(), 'journal-'));
  try {
    const journal = CallJournal.open(dir);
    const first = journal.record(entry('a'))!;
    const second = journal.record(entry('b'))!;
    const [file] = readdirSync(dir);
    assert.match(file!, new RegExp(`^${process.pid}-[0-9a-f]+\\.journal$`));
    const lines = readFileSync(join(dir, file!), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as JournalEntry);
    assert.deepEqual(lines.map((line) => nameOf(line.settlement.call.call_id)), ['a', 'b']);
    assert.equal(readLeftoverJournals(dir).files.length, 0, 'a journal this process has open is never treated as left over');
    journal.written(first);
    journal.written(second);
    journal.close();
    assert.deepEqual(readdirSync(dir), [], 'written entries: nothing to replay, nothing kept');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a journal with unwritten entries stays at close; the next reader replays it, skipping damaged lines and a torn last line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'journal-'));
  try {
    const journal = CallJournal.open(dir);
    journal.record(entry('kept'));
    journal.close();
    const [file] = readdirSync(dir);
    // A damaged file: lines that parse but are not entries, then the torn last line of a crash.
    appendFileSync(join(dir, file!), `{}\nnull\n12\n${JSON.stringify({ ...entry('x'), settlement: { ...entry('x').settlement, call: { call_id: 'not-a-uuid' } } })}\n`);
    appendFileSync(join(dir, file!), '{"hold_micro":1,"settlement":{"ca');
    const warnings: unknown[] = [];
    const leftover = readLeftoverJournals(dir, { warn: (details) => warnings.push(details) });
    assert.deepEqual(leftover.files, [join(dir, file!)]);
    assert.deepEqual(leftover.entries.map((line) => nameOf(line.settlement.call.call_id)), ['kept']);
    assert.deepEqual(warnings, [{ file, lines: 5 }], 'one warning per file, counting every skipped line');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a live process's journal is not another's to replay; a dead one's is", () => {
  const dir = mkdtempSync(join(tmpdir(), 'journal-'));
  try {
    // pid 1 is always alive; a pid far above pid_max never is.
    writeFileSync(join(dir, '1-aaaaaaaaaaaa.journal'), `${JSON.stringify(entry('live'))}\n`);
    writeFileSync(join(dir, '99999999-bbbbbbbbbbbb.journal'), `${JSON.stringify(entry('dead'))}\n`);
    writeFileSync(join(dir, 'notes.txt'), 'not a journal');
    const leftover = readLeftoverJournals(dir);
    assert.deepEqual(leftover.entries.map((line) => nameOf(line.settlement.call.call_id)), ['dead']);
    assert.equal(readLeftoverJournals(join(dir, 'absent')).files.length, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a journal that cannot be written answers null and says so once, instead of failing the call', () => {
  const dir = mkdtempSync(join(tmpdir(), 'journal-'));
  try {
    const warnings: string[] = [];
    const journal = CallJournal.open(dir, { warn: (_details, message) => warnings.push(message) });
    // The directory goes away under it and the segment is full: the next entry needs a new file.
    rmSync(dir, { recursive: true, force: true });
    (journal as unknown as { current: { bytes: number } }).current.bytes = 16 * 1024 * 1024;
    assert.equal(journal.record(entry('a')), null);
    assert.equal(journal.record(entry('b')), null);
    assert.equal(warnings.length, 1, 'logged once a minute, not once a call');
    journal.close();
    assert.equal(journal.record(entry('c')), null, 'nothing is written after close');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
