import type { CreditBalance, CreditTransactionPage, TransactionsQuery } from './admin-types.ts';
import type { CreditCheckResult, JobDetail, JobPage, JobsQuery, ModelGroupInfo, TeamUsage, TeamView, UsageQuery } from './client-types.ts';
import { pathOf, type HttpTransport, type RequestOptions } from './http-transport.ts';

/**
 * The team's reads of its own history with its virtual key (02-client-api.md, "Reading"). They keep
 * working while the team is suspended or paused. `SaaSLLMClient` inherits them.
 */
export class TeamReads {
  constructor(protected readonly http: HttpTransport, readonly teamId: string) {}

  /** The team: status, budget mode, credits and the model groups it may call. `GET /api/teams/{team_id}` */
  getTeam(options?: RequestOptions): Promise<TeamView> {
    return this.http.request({ ...options, method: 'GET', path: pathOf('api', 'teams', this.teamId) });
  }

  /** The credit balance (`credits_available` = remaining − reserved). `GET /api/credits/teams/{team_id}/balance` */
  getBalance(options?: RequestOptions): Promise<CreditBalance> {
    return this.http.request({ ...options, method: 'GET', path: pathOf('api', 'credits', 'teams', this.teamId, 'balance') });
  }

  /** One page of the credit ledger, newest first (`limit`, `cursor`, `type`). `GET /api/credits/teams/{team_id}/transactions` */
  listTransactions(query: TransactionsQuery = {}, options?: RequestOptions): Promise<CreditTransactionPage> {
    return this.http.request({ ...options, method: 'GET', path: pathOf('api', 'credits', 'teams', this.teamId, 'transactions'), query: { ...query } });
  }

  /** Whether the team could reserve `creditsNeeded` right now. `POST /api/credits/teams/{team_id}/check` */
  checkCredits(creditsNeeded = 1, options?: RequestOptions): Promise<CreditCheckResult> {
    return this.http.request({
      ...options, method: 'POST', path: pathOf('api', 'credits', 'teams', this.teamId, 'check'), body: { credits_needed: creditsNeeded },
      idempotent: true, // a read, though a POST
    });
  }

  /**
   * Usage over a period (`period: 'YYYY-MM' | 'YYYY-MM-DD'`, or `from`/`to`; default the current month):
   * totals, per job type, per model group, and a daily series. `GET /api/teams/{team_id}/usage`
   */
  getUsage(query: UsageQuery = {}, options?: RequestOptions): Promise<TeamUsage> {
    return this.http.request({ ...options, method: 'GET', path: pathOf('api', 'teams', this.teamId, 'usage'), query: { ...query } });
  }

  /**
   * One page of the team's jobs, newest first, filtered by `status`, `job_type` and `from`/`to`; pass
   * `next_cursor` as `cursor` for the next page. `GET /api/teams/{team_id}/jobs`
   */
  listJobs(query: JobsQuery = {}, options?: RequestOptions): Promise<JobPage> {
    return this.http.request({ ...options, method: 'GET', path: pathOf('api', 'teams', this.teamId, 'jobs'), query: { ...query } });
  }

  /** Every job matching `query`, page after page, newest first. */
  async *iterateJobs(query: Omit<JobsQuery, 'cursor'> = {}, options?: RequestOptions): AsyncGenerator<JobDetail, void, undefined> {
    let cursor: string | undefined;
    do {
      const page = await this.listJobs({ ...query, ...(cursor === undefined ? {} : { cursor }) }, options);
      yield* page.jobs;
      cursor = page.next_cursor ?? undefined;
    } while (cursor !== undefined);
  }

  /** The model groups this team may call (name, display name, description). `GET /api/model-groups` */
  listModelGroups(options?: RequestOptions): Promise<ModelGroupInfo[]> {
    return this.http.request({ ...options, method: 'GET', path: '/api/model-groups' });
  }
}
