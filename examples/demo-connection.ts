import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConnectionError, SaaSLLMClient, SaaSLLMError } from '@saas-llm/sdk';

/** Where the examples find the gateway, and who they are. */
export interface DemoConnection {
  apiUrl: string;
  virtualKey: string;
  teamId: string;
  /** Where the settings came from, for the banner and for error messages. */
  source: string;
}

/**
 * The settings the seed hard-coded (`SAAS_API_URL`, `SAAS_VIRTUAL_KEY`, `SAAS_TEAM_ID`), read from the
 * `demo.env` that `saas-llm serve --demo` (`npm start`) writes into its data directory
 * (`SAAS_LLM_DATA_DIR`, default `./.saas-llm`). Environment variables of the same names win over the file.
 */
export function demoConnection(env: NodeJS.ProcessEnv = process.env): DemoConnection {
  const envFile = resolve(join(env.SAAS_LLM_DATA_DIR || './.saas-llm', 'demo.env'));
  const fromFile = existsSync(envFile) ? parseEnvFile(readFileSync(envFile, 'utf8')) : {};
  const pick = (name: string) => env[name] || fromFile[name];
  const virtualKey = pick('SAAS_VIRTUAL_KEY');
  if (!virtualKey) {
    throw new Error(
      `No virtual key: ${envFile} does not exist and SAAS_VIRTUAL_KEY is not set.\n`
      + 'Start the gateway with the demo tenant first (`npm start`), or set SAAS_API_URL, SAAS_VIRTUAL_KEY and SAAS_TEAM_ID.',
    );
  }
  return {
    apiUrl: pick('SAAS_API_URL') ?? 'http://localhost:8003',
    virtualKey,
    teamId: pick('SAAS_TEAM_ID') ?? 'team-alpha',
    source: existsSync(envFile) ? envFile : 'environment variables',
  };
}

/** A client for the demo tenant (see `demoConnection`). */
export function demoClient(connection: DemoConnection = demoConnection(), timeout = 120_000): SaaSLLMClient {
  return new SaaSLLMClient({ apiUrl: connection.apiUrl, virtualKey: connection.virtualKey, teamId: connection.teamId, timeout });
}

/** `KEY=value` lines; blank lines and `#` comments skipped; optional quotes around the value removed. */
function parseEnvFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match || line.trimStart().startsWith('#')) continue;
    values[match[1]!] = match[2]!.replace(/^(['"])(.*)\1$/, '$2');
  }
  return values;
}

/**
 * Runs an example's `main`, turning failures into one readable message and exit code 1: the typed SDK
 * errors carry the gateway's own message; a connection failure gets a hint to start the gateway.
 */
export function runExample(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    if (error instanceof ConnectionError) {
      console.error(`\nCannot reach the gateway: ${error.message}\nIs it running? Start it with \`npm start\`.`);
    } else if (error instanceof SaaSLLMError) {
      console.error(`\n${error.name} (${error.status ?? 'no status'} ${error.code}): ${error.message}${error.requestId ? ` [request ${error.requestId}]` : ''}`);
    } else {
      console.error(`\n${error instanceof Error ? error.message : String(error)}`);
    }
    process.exitCode = 1;
  });
}
