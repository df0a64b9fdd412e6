import { pathOf, type HttpTransport, type RequestOptions } from './http-transport.ts';
import type {
  AutoRefillSettings, BudgetModeChange, ConversionRates, ConversionRatesChange, CreditBalance, CreditChange, CreditTransactionPage,
  CreditsAdd, CreditsAdjust, CreditsReplenish, TransactionsQuery,
} from './admin-types.ts';

/** A team's credit account: top-ups, adjustments, budget mode, conversion rates, auto-refill, ledger. */
export class CreditsResource {
  constructor(private readonly http: HttpTransport) {}

  /**
   * Adds credits to a team (an `allocation` in the ledger); answers the ledger row and the balance after it.
   * `POST /api/credits/teams/{id}/add`
   */
  add(teamId: string, body: CreditsAdd, options?: RequestOptions): Promise<CreditChange> {
    return this.http.request({ ...options, method: 'POST', path: creditsPath(teamId, 'add'), body });
  }

  /**
   * Adds credits paid for by a subscription or a one-time purchase, recording the payment.
   * `POST /api/credits/teams/{id}/replenish`
   */
  replenish(teamId: string, body: CreditsReplenish, options?: RequestOptions): Promise<CreditChange> {
    return this.http.request({ ...options, method: 'POST', path: creditsPath(teamId, 'replenish'), body });
  }

  /** Corrects a balance by a signed amount; the reason is required. `POST /api/credits/teams/{id}/adjust` */
  adjust(teamId: string, body: CreditsAdjust, options?: RequestOptions): Promise<CreditChange> {
    return this.http.request({ ...options, method: 'POST', path: creditsPath(teamId, 'adjust'), body });
  }

  /**
   * Sets how jobs are charged (`job_based`, `consumption_usd`, `consumption_tokens`) and, optionally,
   * what failed jobs cost. `PATCH /api/credits/teams/{id}/budget-mode`
   */
  setBudgetMode(teamId: string, body: BudgetModeChange, options?: RequestOptions): Promise<CreditBalance> {
    return this.http.request({ ...options, method: 'PATCH', path: creditsPath(teamId, 'budget-mode'), body, idempotent: true });
  }

  /** Reads `credits_per_dollar` and `tokens_per_credit`. `GET /api/credits/teams/{id}/conversion-rates` */
  getConversionRates(teamId: string, options?: RequestOptions): Promise<ConversionRates> {
    return this.http.request({ ...options, method: 'GET', path: creditsPath(teamId, 'conversion-rates') });
  }

  /** Changes the conversion rates of the consumption modes. `PATCH /api/credits/teams/{id}/conversion-rates` */
  setConversionRates(teamId: string, body: ConversionRatesChange, options?: RequestOptions): Promise<ConversionRates> {
    return this.http.request({ ...options, method: 'PATCH', path: creditsPath(teamId, 'conversion-rates'), body, idempotent: true });
  }

  /**
   * Sets the periodic top-up (`refill_amount` every `refill_period`), or turns it off.
   * `POST /api/credits/teams/{id}/configure-auto-refill`
   */
  configureAutoRefill(teamId: string, body: AutoRefillSettings, options?: RequestOptions): Promise<CreditBalance> {
    // Setting the same values twice leaves the same state, so failures may be retried.
    return this.http.request({ ...options, method: 'POST', path: creditsPath(teamId, 'configure-auto-refill'), body, idempotent: true });
  }

  /**
   * One page of the team's ledger, newest first; pass `next_cursor` as `cursor` for the next page.
   * `GET /api/credits/teams/{id}/transactions`
   */
  transactions(teamId: string, query: TransactionsQuery = {}, options?: RequestOptions): Promise<CreditTransactionPage> {
    return this.http.request({ ...options, method: 'GET', path: creditsPath(teamId, 'transactions'), query: { ...query } });
  }

  /** Reads the team's balance: allocated, used, remaining, reserved. `GET /api/credits/teams/{id}/balance` */
  balance(teamId: string, options?: RequestOptions): Promise<CreditBalance> {
    return this.http.request({ ...options, method: 'GET', path: creditsPath(teamId, 'balance') });
  }
}

function creditsPath(teamId: string, action: string): string {
  return pathOf('api', 'credits', 'teams', teamId, action);
}
