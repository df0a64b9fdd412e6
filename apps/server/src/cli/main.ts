import { ConfigError, cliEnvironment, loadConfig } from '../config.ts';
import { openDatabase } from '../container.ts';
import { isFirstWorker, isWorker, resolveWorkers, runPrimary } from '../cluster.ts';
import { startServer, stopOnSignals } from '../main.ts';
import { migrate } from '../storage/migrator.ts';
import { bootstrapDemoTenant, DEMO_GROUPS, DEMO_TEAM, type DemoTenant } from './demo-bootstrap.ts';

/** `serve` keeps the process alive: no exit code to set. */
const RUNNING = -1;

const USAGE = `saas-llm — the SaaS LLM gateway

Usage:
  saas-llm serve [--demo]     start the gateway (PORT, HOST, SAAS_LLM_DATA_DIR, DATABASE_URL, …)
                              --demo: on an empty database, create the demo tenant and write demo.env
  saas-llm migrate            apply pending database migrations and exit
  saas-llm <resource> <action> [--flags] [--json]
                              admin commands over HTTP (run 'saas-llm admin-help')
`;

async function main(argv: string[]): Promise<number> {
  // Returns an exit code, or RUNNING for a server that keeps the process alive.
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve': {
      const config = loadConfig();
      if (!isWorker()) {
        const { workers, note } = resolveWorkers(config);
        if (note) process.stdout.write(`${note}\n`);
        if (workers > 1) {
          await runPrimary(config, workers, (line) => process.stdout.write(`${line}\n`));
          return RUNNING;
        }
      }
      // A single process, or one worker of the primary above: each is a whole gateway. What must happen
      // once (the demo tenant, the banner) is left to the first worker.
      const demo = rest.includes('--demo') && isFirstWorker();
      let demoTenant: DemoTenant | null = null;
      const server = await startServer(config, demo ? async (container, url) => { demoTenant = await bootstrapDemoTenant(container, url); } : undefined);
      stopOnSignals(server);
      if (!isFirstWorker()) return RUNNING;
      const where = config.databaseUrl ? 'PostgreSQL' : `embedded PGlite in ${config.dataDir}`;
      process.stdout.write(`SaaS LLM gateway listening on ${server.url} (database: ${where})\n`);
      const tenant = demoTenant as DemoTenant | null;
      if (tenant?.created) {
        process.stdout.write(`Demo tenant created: team ${DEMO_TEAM}, model groups ${DEMO_GROUPS.join(', ')}.\n`
          + `Virtual key (shown once): ${tenant.virtualKey}\nWritten to ${tenant.envFile} (SAAS_API_URL, SAAS_VIRTUAL_KEY, SAAS_TEAM_ID).\n`);
      } else if (tenant) {
        process.stdout.write(`Existing data kept; the demo environment file is ${tenant.envFile}.\n`);
      }
      process.stdout.write(`API reference: ${server.url}/docs\n`);
      return RUNNING;
    }
    case 'migrate': {
      const config = loadConfig();
      const db = await openDatabase(config);
      try {
        const applied = await migrate(db);
        process.stdout.write(applied.length ? `Applied ${applied.join(', ')}\n` : 'Database is up to date.\n');
      } finally {
        await db.close();
      }
      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default: {
      const { runAdminCommand } = await import('./admin-commands.ts');
      return runAdminCommand(argv, { stdout: process.stdout, stderr: process.stderr, env: cliEnvironment() });
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => { if (code !== RUNNING) process.exitCode = code; },
  (error: unknown) => {
    if (error instanceof ConfigError) process.stderr.write(`${error.message}\n`);
    else process.stderr.write(`saas-llm: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);

