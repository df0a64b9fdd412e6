import type { Config } from './config.ts';
import type { Database } from './storage/database.ts';
import { PgDatabase } from './storage/pg-database.ts';
import { PgliteThreadDatabase } from './storage/pglite-thread-database.ts';
import { migrate, migrationsCurrent } from './storage/migrator.ts';
import { join } from 'node:path';
import { createLogger, type Logger } from './logger.ts';
import { Sweepers } from './background/sweepers.ts';
import { EmbeddedVacuum } from './background/embedded-vacuum.ts';
import { GatewayMetrics } from './observability/prometheus-metrics.ts';
import { StreamGauge } from './observability/stream-gauge.ts';
import { AdapterRegistry } from '@saas-llm/providers';
import { CallPipeline } from './gateway/call-pipeline.ts';
import { CooldownTracker } from './gateway/cooldowns.ts';
import { RateLimiter } from './gateway/rate-limiter.ts';
import { RedisRateLimiter } from './storage/redis-rate-limiter.ts';
import { RedisChangeBus } from './storage/redis-change-bus.ts';
import type { CatalogChangeListener } from './domain/catalog-ports.ts';
import { TokenEstimator } from './gateway/token-estimator.ts';
import { CallRepository } from './storage/call-repository.ts';
import { CallJournal } from './storage/call-journal.ts';
import { recoverCallJournals } from './storage/call-journal-recovery.ts';
import type { CallStore } from './domain/calls.ts';
import { ReservationRepository } from './storage/reservation-repository.ts';
import { JobService } from './domain/job-service.ts';
import { InFlightCallRegistry } from './gateway/in-flight-calls.ts';
import { JsonSchemaValidator } from './gateway/json-schema-validator.ts';
import { JobRepository } from './storage/job-repository.ts';
import { TeamStandingRepository } from './storage/team-standing-repository.ts';
import { TeamUsageRepository } from './storage/team-usage-repository.ts';
import type { JobStore } from './domain/jobs.ts';
import type { TeamUsageSource } from './domain/team-usage.ts';
// ==== imports: tenancy & credits ====
import { CreditLedger } from './domain/credit-ledger.ts';
import { OrganizationService } from './domain/organizations.ts';
import { TeamChangeFeed } from './domain/team-changes.ts';
import { TeamService } from './domain/teams.ts';
import { CachingKeyAuthenticator } from './domain/virtual-key-authenticator.ts';
import { VirtualKeyService } from './domain/virtual-keys.ts';
import { CreditLedgerRepository } from './storage/credit-ledger-repository.ts';
import { OrganizationRepository } from './storage/organization-repository.ts';
import { TeamRepository } from './storage/team-repository.ts';
import { VirtualKeyRepository } from './storage/virtual-key-repository.ts';
// ==== end imports: tenancy & credits ====
// ==== imports: catalog ====
import { PriceBook, SHIPPED_PRICE_TABLE } from '@saas-llm/providers';
import { AccessGroupService } from './domain/access-group-service.ts';
import { DeploymentService } from './domain/deployment-service.ts';
import { ModelGroupService } from './domain/model-group-service.ts';
import { ModelResolver } from './domain/model-resolution.ts';
import { PricingService } from './domain/pricing-service.ts';
import { ProviderCredentialService } from './domain/provider-credential-service.ts';
import { SecretBox } from './domain/secret-box.ts';
import { PgAccessGroupRepository } from './storage/access-group-repository.ts';
import { PgCatalogReader } from './storage/catalog-reader.ts';
import { PgCredentialRepository } from './storage/credential-repository.ts';
import { PgDeploymentRepository } from './storage/deployment-repository.ts';
import { PgModelGroupRepository } from './storage/model-group-repository.ts';
// ==== end imports: catalog ====
// ==== imports: admin users & audit ====
import { AdminAuthService } from './domain/admin-auth-service.ts';
import { AdminReportsService } from './domain/admin-reports.ts';
import { AdminUserService } from './domain/admin-user-service.ts';
import { AuditService } from './domain/audit-service.ts';
import { LoginRateLimiter } from './domain/login-rate-limiter.ts';
import { PgAdminReportsStore } from './storage/admin-reports-store.ts';
import { PgAdminSessionStore, PgAdminUserStore } from './storage/admin-user-store.ts';
import { PgAuditLogStore } from './storage/audit-log-store.ts';

/** How long shutdown lets aborted calls unwind and settle before closing the database. */
const CLOSE_WAIT_MS = 5000;
// ==== end imports: admin users & audit ====

/**
 * The composition root: the only place that knows every concrete class. Creates the database, the
 * repositories, the services and the adapters, and hands them to the HTTP layer and background tasks.
 */
export interface Container {
  config: Config;
  db: Database;
  logger: Logger;
  sweepers: Sweepers;
  /** Vacuums the embedded database (PGlite has no autovacuum); null on a PostgreSQL server. */
  vacuum: EmbeddedVacuum | null;
  metrics: GatewayMetrics;
  streams: StreamGauge;
  version: string;
  // ==== fields: tenancy & credits ====
  organizations: OrganizationService;
  teams: TeamService;
  virtualKeys: VirtualKeyService;
  credits: CreditLedger;
  /** Publishes the id of a team changed through this process (status, limits, budget terms, deletion). */
  teamChanges: TeamChangeFeed;
  /** Virtual key → key record, cached in process; `close()` flushes pending `last_used_at` writes. */
  keyAuthenticator: CachingKeyAuthenticator;
  // ==== end fields: tenancy & credits ====
  // ==== fields: catalog ====
  /** AES-256-GCM of provider secrets under `config.encryptionKey`. */
  secretBox: SecretBox;
  providerCredentials: ProviderCredentialService;
  deployments: DeploymentService;
  modelGroups: ModelGroupService;
  accessGroups: AccessGroupService;
  /**
   * Name → ordered candidates, served from memory. The catalog services invalidate it on every change and
   * team access-group changes reach it through `teamChanges`; call `invalidate()` after any other change.
   */
  modelResolver: ModelResolver;
  /** The shipped price table (deployments without their own prices are metered from it). */
  priceBook: PriceBook;
  pricing: PricingService;
  // ==== end fields: catalog ====
  // ==== fields: admin users & audit ====
  /** Master key and admin sessions (the auth hook's `AdminAuthenticator`), logins. */
  adminAuth: AdminAuthService;
  adminUsers: AdminUserService;
  /** The audit log (the auth hook's `AuditSink`). */
  audit: AuditService;
  adminReports: AdminReportsService;
  // ==== end fields: admin users & audit ====
  teamStanding: TeamStandingRepository;
  inFlight: InFlightCallRegistry;
  jobs: JobService;
  jobStore: JobStore;
  calls: CallStore;
  pipeline: CallPipeline;
  adapters: AdapterRegistry;
  cooldowns: CooldownTracker;
  teamUsage: TeamUsageSource;
  readiness(): Promise<{ database: boolean; migrations: boolean }>;
  close(): Promise<void>;
}

export const VERSION = '0.1.0';

/** Opens the configured database (PGlite in the data dir, or `DATABASE_URL`). */
export async function openDatabase(config: Config): Promise<Database> {
  // PGlite on its own thread: its SQL runs as synchronous WebAssembly and would stall the event loop.
  return config.databaseUrl ? PgDatabase.open(config.databaseUrl) : PgliteThreadDatabase.open(join(config.dataDir, 'pgdata'));
}

/** Builds the container over an open, migrated-or-not database; runs migrations first. */
export interface ContainerOptions {
  /** Where logs go (tests capture them); default stdout. */
  logDestination?: NodeJS.WritableStream;
  /**
   * Directory of the call journal (decision 014): acknowledged calls survive a crash of the process. `serve`
   * keeps it in the data directory; tests over in-memory databases go without.
   */
  callJournalDir?: string;
}

/** How long a credit hold (a call's, or a job's opened with one) lives when nothing settles it: the sweeper then releases it. */
const HOLD_TTL_SECONDS = 3600;

export async function buildContainer(config: Config, db: Database, options: ContainerOptions = {}): Promise<Container> {
  await migrate(db);
  const logger = createLogger(config, options.logDestination);
  // ==== construction: tenancy & credits ====
  const virtualKeyRepository = new VirtualKeyRepository(db);
  const keyAuthenticator = new CachingKeyAuthenticator(virtualKeyRepository, {
    // Background refreshes and last_used_at flushes have no request to fail; surface them as process warnings.
    onBackgroundError: (error, task) => process.emitWarning(`${task} failed: ${error instanceof Error ? error.message : String(error)}`, 'SaasLlmBackgroundWarning'),
  });
  const teamChanges = new TeamChangeFeed();
  const virtualKeys = new VirtualKeyService(virtualKeyRepository, keyAuthenticator);
  const teams = new TeamService(new TeamRepository(db), virtualKeys, keyAuthenticator, teamChanges);
  const organizations = new OrganizationService(new OrganizationRepository(db), keyAuthenticator, teamChanges);
  const credits = new CreditLedger(new CreditLedgerRepository(db), teamChanges);
  // ==== end construction: tenancy & credits ====
  const cooldowns = new CooldownTracker();
  // ==== construction: catalog ====
  const secretBox = new SecretBox(config.encryptionKey);
  const priceBook = new PriceBook(SHIPPED_PRICE_TABLE);
  const modelResolver = new ModelResolver(new PgCatalogReader(db), secretBox, { prices: priceBook, cooldowns });
  teamChanges.subscribe((teamId) => modelResolver.invalidateTeam(teamId));
  // With Redis, a change made here reaches the other instances' caches at once (else within their max age).
  const changeBus = config.redisUrl
    ? new RedisChangeBus(config.redisUrl, (change) => (change.kind === 'catalog' ? modelResolver.invalidate() : teamChanges.receive(change.teamId)), logger)
    : null;
  if (changeBus) teamChanges.subscribe((teamId) => changeBus.publish({ kind: 'team', teamId }), { localOnly: true });
  const catalogChanges: CatalogChangeListener = changeBus
    ? { invalidate: () => { modelResolver.invalidate(); changeBus.publish({ kind: 'catalog' }); } }
    : modelResolver;
  const credentialRepository = new PgCredentialRepository(db);
  const deploymentRepository = new PgDeploymentRepository(db);
  const modelGroupRepository = new PgModelGroupRepository(db);
  const providerCredentials = new ProviderCredentialService(credentialRepository, secretBox, catalogChanges);
  const deployments = new DeploymentService(deploymentRepository, credentialRepository, catalogChanges);
  const modelGroups = new ModelGroupService(modelGroupRepository, deploymentRepository, catalogChanges);
  const accessGroups = new AccessGroupService(new PgAccessGroupRepository(db), modelGroupRepository, deploymentRepository, catalogChanges);
  const pricing = new PricingService(deploymentRepository, credentialRepository, priceBook);
  // ==== end construction: catalog ====
  // ==== construction: admin users & audit ====
  const adminUserStore = new PgAdminUserStore(db);
  const adminAuth = new AdminAuthService({
    masterKey: config.masterKey, sessionTtlSeconds: config.sessionTtlSeconds,
    users: adminUserStore, sessions: new PgAdminSessionStore(db), loginLimiter: new LoginRateLimiter(),
  });
  const adminUsers = new AdminUserService(adminUserStore, adminAuth);
  const audit = new AuditService(new PgAuditLogStore(db));
  const adminReports = new AdminReportsService(new PgAdminReportsStore(db));
  // ==== end construction: admin users & audit ====
  const teamStanding = new TeamStandingRepository(db);
  const inFlight = new InFlightCallRegistry();
  const jobStore = new JobRepository(db, HOLD_TTL_SECONDS);
  const streams = new StreamGauge();
  const metrics = new GatewayMetrics({ activeStreams: () => streams.count, cacheStats: () => [] });
  const jobs = new JobService(jobStore, teamStanding, inFlight, config.defaultJobTtlSeconds, (job) => metrics.jobCharged(job.creditsChargedMicro / 1_000_000));
  // A suspension, pause or limit change applies at once on this instance (other instances within the cache TTL).
  teamChanges.subscribe((teamId) => teamStanding.invalidate(teamId));
  const sweepers = new Sweepers(jobs, jobStore, new ReservationRepository(db), credits, logger);
  const vacuum = db.dialect === 'pglite' ? new EmbeddedVacuum(db, logger) : null;
  const adapters = new AdapterRegistry();
  const tokens = new TokenEstimator((error) => logger.warn({ err: error }, 'exact token count failed: metered with the character estimate'));
  // Before anything reads the accounting: calls a crashed process acknowledged are recorded first.
  if (options.callJournalDir) await recoverCallJournals(db, options.callJournalDir, HOLD_TTL_SECONDS, logger);
  const journal = options.callJournalDir ? CallJournal.open(options.callJournalDir, logger) : null;
  const calls = new CallRepository(db, HOLD_TTL_SECONDS, logger, journal);
  // Counted in Redis when instances (or workers) share it, so that a team's limits hold across them.
  const limiter = config.redisUrl ? new RedisRateLimiter(config.redisUrl, new RateLimiter(), logger) : new RateLimiter();
  const pipeline = new CallPipeline({
    candidates: modelResolver, adapters, calls, teams: teamStanding, limiter, cooldowns,
    inFlight, tokens, log: logger, observer: metrics, schemas: new JsonSchemaValidator(),
  });
  return {
    config,
    db,
    logger,
    sweepers,
    vacuum,
    metrics,
    streams,
    version: VERSION,
    teamStanding,
    inFlight,
    jobs,
    jobStore,
    calls,
    pipeline,
    adapters,
    cooldowns,
    teamUsage: new TeamUsageRepository(db),
    // ==== wiring: tenancy & credits ====
    organizations,
    teams,
    virtualKeys,
    credits,
    teamChanges,
    keyAuthenticator,
    // ==== end wiring: tenancy & credits ====
    // ==== wiring: catalog ====
    secretBox,
    providerCredentials,
    deployments,
    modelGroups,
    accessGroups,
    modelResolver,
    priceBook,
    pricing,
    // ==== end wiring: catalog ====
    // ==== wiring: admin users & audit ====
    adminAuth,
    adminUsers,
    audit,
    adminReports,
    // ==== end wiring: admin users & audit ====
    readiness: async () => {
      const database = await db.query('SELECT 1').then(() => true, () => false);
      const migrations = database && (await migrationsCurrent(db).catch(() => false));
      return { database, migrations };
    },
    close: async () => {
      await sweepers.stop();
      await vacuum?.stop();
      inFlight.abortAll();
      // Aborted calls settle as they unwind; every acknowledged call is written before the database closes.
      await inFlight.waitForAll(CLOSE_WAIT_MS);
      await calls.settled();
      journal?.close();
      await adapters.close();
      await limiter.close();
      await changeBus?.close();
      await tokens.close();
      await db.close();
    },
  };
}
