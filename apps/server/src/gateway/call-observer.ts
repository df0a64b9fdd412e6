import type { CallRecord } from '../domain/calls.ts';

/** Port: told about every settled call (metrics). Must not throw or block. */
export interface CallObserver {
  callSettled(call: CallRecord): void;
}
