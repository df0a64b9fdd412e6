/**
 * Initialises a fresh PGlite data directory and exits: `pglite-initdb <data dir>`. PgliteThreadDatabase runs
 * it as a process of its own (see `open` there for why).
 */
import { PgliteDatabase } from './pglite-database.ts';

const dataDir = process.argv[2];
if (!dataDir) {
  process.stderr.write('usage: pglite-initdb <data dir>\n');
  process.exit(2);
}
try {
  const db = await PgliteDatabase.open(dataDir);
  await db.close();
} catch (error) {
  // One line for the parent's error message.
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
