import { closeSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { SettlementItem } from './call-write-queue.ts';

/** One acknowledged call as journaled: its settlement, and the hold its admission took (to redo that admission). */
export interface JournalEntry {
  settlement: SettlementItem;
  hold_micro: number;
}

/** A place in the journal, handed back once its entry is written to the database (or given up on). */
export interface JournalMark {
  readonly segment: Segment;
}

interface Segment {
  path: string;
  fd: number;
  bytes: number;
  /** Entries of this segment not yet written to the database. */
  unwritten: number;
}

export interface JournalLogger {
  warn(details: Record<string, unknown>, message: string): void;
}

/** How often a journal that cannot be written says so (every call would otherwise log). */
const FAILURE_LOG_INTERVAL_MS = 60_000;

const SUFFIX = '.journal';
/** A segment this large starts a new one; an old segment is deleted once all its entries are written. */
const SEGMENT_BYTES = 16 * 1024 * 1024;
/** A drained current segment is emptied in place once it holds this much (else it is left to grow). */
const TRUNCATE_BYTES = 1024 * 1024;

/** Journal files this process has open: never another instance's leftovers, even under the same pid. */
const openHere = new Set<string>();

/**
 * The crash-safe side of call records written behind the answer (decisions 010, 014). Before a call's
 * answer goes out, its settlement is appended here with one synchronous write: once `writeSync` returns
 * the bytes are in the operating system's page cache, so a `kill -9` of the process cannot lose them (a
 * power loss can; there is no fsync per call). The entry is dropped once the write queue has written it.
 * A process that dies leaves its journal files behind; the next process to start over the same data
 * directory replays them (`recoverCallJournals`) before it serves.
 *
 * Files are `<pid>-<random>.journal`, one JSON entry per line, in segments of up to 16 MB.
 */
export class CallJournal {
  private current: Segment;
  private readonly segments = new Set<Segment>();
  private closed = false;
  private lastFailureLoggedAt = Number.NEGATIVE_INFINITY;

  private constructor(private readonly dir: string, private readonly log?: JournalLogger) {
    this.current = this.openSegment();
  }

  static open(dir: string, log?: JournalLogger): CallJournal {
    mkdirSync(dir, { recursive: true });
    return new CallJournal(dir, log);
  }

  /**
   * Appends the entry; returns when it is in the file. Null when it could not be written (a full disk, a
   * closed journal): the call is still answered and written behind, only without the crash protection —
   * refusing answers because a local file cannot grow would turn a disk alarm into an outage.
   */
  record(entry: JournalEntry): JournalMark | null {
    if (this.closed) return null;
    try {
      if (this.current.bytes >= SEGMENT_BYTES) this.current = this.openSegment();
      const segment = this.current;
      segment.bytes += writeSync(segment.fd, `${JSON.stringify(entry)}\n`);
      segment.unwritten += 1;
      return { segment };
    } catch (error) {
      const now = Date.now();
      if (now - this.lastFailureLoggedAt >= FAILURE_LOG_INTERVAL_MS) {
        this.lastFailureLoggedAt = now;
        this.log?.warn({ dir: this.dir, error: (error as Error).message }, 'call journal: cannot write; answered calls are not protected against a crash until it can');
      }
      return null;
    }
  }

  /** The entry is in the database (or will never be): its segment may go. */
  written(mark: JournalMark): void {
    const segment = mark.segment;
    segment.unwritten -= 1;
    if (segment.unwritten > 0 || this.closed) return;
    if (segment !== this.current) this.removeSegment(segment);
    else if (segment.bytes >= TRUNCATE_BYTES) {
      // O_APPEND: the next entry goes to the new end of the file, offset 0.
      ftruncateSync(segment.fd, 0);
      segment.bytes = 0;
    }
  }

  /**
   * After a clean shutdown has written every acknowledged call: the files go (nothing to replay). Segments
   * with entries still unwritten stay for the next start.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const segment of this.segments) {
      if (segment.unwritten === 0) this.removeSegment(segment);
      else {
        closeSync(segment.fd);
        openHere.delete(segment.path);
      }
    }
  }

  private openSegment(): Segment {
    const path = join(this.dir, `${process.pid}-${randomBytes(6).toString('hex')}${SUFFIX}`);
    const segment: Segment = { path, fd: openSync(path, 'a', 0o600), bytes: 0, unwritten: 0 };
    this.segments.add(segment);
    openHere.add(path);
    return segment;
  }

  private removeSegment(segment: Segment): void {
    closeSync(segment.fd);
    this.segments.delete(segment);
    openHere.delete(segment.path);
    try {
      unlinkSync(segment.path);
    } catch {
      // Already gone: nothing left to replay from it.
    }
  }
}

/** Journal files left by processes that are gone, with their entries (a torn last line is skipped). */
export function readLeftoverJournals(dir: string, log?: JournalLogger): { files: string[]; entries: JournalEntry[] } {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith(SUFFIX)).sort();
  } catch {
    return { files: [], entries: [] };
  }
  const files: string[] = [];
  const entries: JournalEntry[] = [];
  for (const name of names) {
    const path = join(dir, name);
    if (openHere.has(path) || ownerAlive(name)) continue;
    files.push(path);
    let unreadable = 0;
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (line.length === 0) continue;
      let entry: unknown;
      try {
        entry = JSON.parse(line);
      } catch {
        // Cut by the crash mid-write: that call's answer never went out.
        unreadable += 1;
        continue;
      }
      // A damaged file must not keep the gateway from starting: what is not an entry is skipped and counted.
      if (isJournalEntry(entry)) entries.push(entry);
      else unreadable += 1;
    }
    if (unreadable > 0) log?.warn({ file: name, lines: unreadable }, 'call journal: skipped lines that are not whole entries (cut by a crash, or damaged)');
  }
  return { files, entries };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The shape `record` writes, as far as the replay relies on it (ids are keys of the database's rows). */
function isJournalEntry(value: unknown): value is JournalEntry {
  if (typeof value !== 'object' || value === null) return false;
  const { settlement, hold_micro: holdMicro } = value as Partial<JournalEntry>;
  if (typeof holdMicro !== 'number' || typeof settlement !== 'object' || settlement === null) return false;
  const call = settlement.call as Record<string, unknown> | undefined;
  return typeof call === 'object' && call !== null && typeof call.call_id === 'string' && UUID.test(call.call_id)
    && typeof call.job_id === 'string' && UUID.test(call.job_id) && typeof call.team_id === 'string'
    && Array.isArray(settlement.attempts) && (settlement.reservation_id === null || (typeof settlement.reservation_id === 'string' && UUID.test(settlement.reservation_id)));
}

/** Deletes replayed journal files. */
export function removeJournals(files: readonly string[]): void {
  for (const path of files) {
    try {
      unlinkSync(path);
    } catch {
      // Another process replayed and removed it first (replays skip calls already recorded).
    }
  }
}

/** Whether the process that wrote this file is still running (this process's own pid counts as gone: a restart reused it). */
function ownerAlive(name: string): boolean {
  const pid = Number(name.slice(0, name.indexOf('-')));
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
