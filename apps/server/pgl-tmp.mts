import { PGlite } from '@electric-sql/pglite';
const dir = process.argv[2]!;
const variant = process.argv[3];
const mem = () => Math.round(process.memoryUsage().rss / 1048576);
const base = ["--single","-F","-O","-j","-c","search_path=public","-c","exit_on_error=false","-c","log_checkpoints=false","-c","max_worker_processes=0","-c","max_parallel_workers=0","-c","max_parallel_workers_per_gather=0","-c","io_method=sync","-c","max_parallel_maintenance_workers=0"];
const opts: any = {};
if (variant === 'sb') opts.startParams = [...base, '-c', 'shared_buffers=16MB'];
if (variant === 'sbmem') { opts.startParams = [...base, '-c', 'shared_buffers=16MB']; opts.initialMemory = 64 * 1024 * 1024; }
let t = performance.now();
const db = await PGlite.create(dir, opts);
const created = Math.round(performance.now() - t);
await db.query('select 1');
const r = await db.query('show shared_buffers');
for (let i = 0; i < 2000; i++) await db.query('select $1::int + 1 as x', [i]);
console.log(variant, 'create', created, 'ms rss', mem(), 'ext', Math.round(process.memoryUsage().external/1048576), JSON.stringify(r.rows));
await db.close();
