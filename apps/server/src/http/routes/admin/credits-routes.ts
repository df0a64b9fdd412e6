import type { FastifyInstance } from 'fastify';
import {
  autoRefillSchema, budgetModeSchema, conversionRatesSchema, conversionRatesViewSchema, creditBalanceSchema, creditChangeSchema, creditCheckQuerySchema,
  creditCheckResultSchema, creditCheckSchema, creditsAddSchema, creditsAdjustSchema, creditsReplenishSchema, creditTransactionPageSchema,
  ledgerQuerySchema, teamParamsSchema,
} from '@saas-llm/protocol';
import { availableMicro, remainingMicro, type AutoRefillSettings, type CreditAccount, type CreditLedger, type CreditTermsPatch, type LedgerEntry } from '../../../domain/credit-ledger.ts';
import { creditsToMicro, microToCredits, usdToNanos } from '../../../domain/money.ts';
import { defineRoute, type RouteRegistry } from '../../route-registry.ts';
import { actorOf, assertOwnTeam } from './team-scope.ts';
import { balanceJson, transactionJson } from './tenancy-json.ts';

export interface CreditRouteDependencies {
  credits: CreditLedger;
}

const tag = 'credits';
const DEFAULT_PAGE_SIZE = 50;

const changeJson = (teamId: string, change: { entry: LedgerEntry; account: CreditAccount }) =>
  ({ team_id: teamId, transaction: transactionJson(change.entry), balance: balanceJson(change.account) });

/**
 * `/api/credits/teams/{id}/…` of 04-admin-api.md. Balance, transactions and check also answer the team's
 * own virtual key (02-client-api.md), also while the team is suspended or paused.
 */
export function registerCreditRoutes(app: FastifyInstance, registry: RouteRegistry, deps: CreditRouteDependencies): void {
  defineRoute(app, registry, {
    method: 'GET', url: '/api/credits/teams/:team_id/balance', summary: "A team's credit balance (available = remaining − reserved)", tag,
    auth: 'admin_or_key', params: teamParamsSchema, response: creditBalanceSchema,
    handler: async ({ params, request }) => {
      assertOwnTeam(request, params.team_id);
      return balanceJson(await deps.credits.balance(params.team_id));
    },
  });
  defineRoute(app, registry, {
    method: 'GET', url: '/api/credits/teams/:team_id/transactions', summary: "A team's credit ledger, newest first (cursor-paginated)", tag,
    auth: 'admin_or_key', params: teamParamsSchema, query: ledgerQuerySchema, response: creditTransactionPageSchema,
    handler: async ({ params, query, request }) => {
      assertOwnTeam(request, params.team_id);
      const page = await deps.credits.transactions(params.team_id, {
        limit: query.limit ?? DEFAULT_PAGE_SIZE, beforeId: query.cursor ? Number(query.cursor) : null, type: query.type ?? null,
      });
      return { team_id: params.team_id, transactions: page.entries.map(transactionJson), next_cursor: page.nextCursor };
    },
  });
  defineRoute(app, registry, {
    method: 'POST', url: '/api/credits/teams/:team_id/check', summary: 'Could the team reserve credits_needed now?', tag,
    // A read, though a POST: viewers may call it and it writes no audit row.
    auth: 'admin_or_key', access: 'read', params: teamParamsSchema, body: creditCheckSchema.optional(), query: creditCheckQuerySchema,
    response: creditCheckResultSchema,
    handler: async ({ params, body, query, request }) => {
      assertOwnTeam(request, params.team_id);
      const needed = body?.credits_needed ?? query.credits_needed ?? 1;
      const { sufficient, account } = await deps.credits.check(params.team_id, creditsToMicro(needed));
      return {
        team_id: params.team_id, sufficient, credits_needed: needed,
        credits_available: microToCredits(availableMicro(account)), credits_remaining: microToCredits(remainingMicro(account)),
      };
    },
  });
  defineRoute(app, registry, {
    method: 'POST', url: '/api/credits/teams/:team_id/add', summary: 'Grant credits (an allocation ledger row)', tag, auth: 'admin',
    params: teamParamsSchema, body: creditsAddSchema, response: creditChangeSchema,
    handler: async ({ params, body, request }) =>
      changeJson(params.team_id, await deps.credits.add(params.team_id, creditsToMicro(body.credits), body.reason ?? null, actorOf(request))),
  });
  defineRoute(app, registry, {
    method: 'POST', url: '/api/credits/teams/:team_id/replenish', summary: 'Record credits bought (subscription or one-time payment)', tag, auth: 'admin',
    params: teamParamsSchema, body: creditsReplenishSchema, response: creditChangeSchema,
    handler: async ({ params, body, request }) => changeJson(params.team_id, await deps.credits.replenish(params.team_id, {
      amountMicro: creditsToMicro(body.credits), paymentType: body.payment_type,
      paymentAmountNanos: body.payment_amount_usd === undefined ? null : usdToNanos(body.payment_amount_usd), reason: body.reason ?? null,
    }, actorOf(request))),
  });
  defineRoute(app, registry, {
    method: 'POST', url: '/api/credits/teams/:team_id/adjust',
    summary: 'Correct a balance by a signed amount (reason required; may not eat into reserved credits)', tag, auth: 'admin',
    params: teamParamsSchema, body: creditsAdjustSchema, response: creditChangeSchema,
    handler: async ({ params, body, request }) =>
      changeJson(params.team_id, await deps.credits.adjust(params.team_id, creditsToMicro(body.credits), body.reason, actorOf(request))),
  });
  defineRoute(app, registry, {
    method: 'PATCH', url: '/api/credits/teams/:team_id/budget-mode', summary: "Set a team's budget mode (and failed-job policy)", tag, auth: 'admin',
    params: teamParamsSchema, body: budgetModeSchema, response: creditBalanceSchema,
    handler: async ({ params, body }) => balanceJson(await deps.credits.updateTerms(params.team_id, {
      budgetMode: body.budget_mode, ...(body.failed_job_policy ? { failedJobPolicy: body.failed_job_policy } : {}),
    })),
  });
  defineRoute(app, registry, {
    method: 'GET', url: '/api/credits/teams/:team_id/conversion-rates', summary: "A team's credits per dollar and tokens per credit", tag, auth: 'admin',
    params: teamParamsSchema, response: conversionRatesViewSchema,
    handler: async ({ params }) => conversionRatesJson(await deps.credits.balance(params.team_id)),
  });
  defineRoute(app, registry, {
    method: 'PATCH', url: '/api/credits/teams/:team_id/conversion-rates', summary: "Set a team's credits per dollar and/or tokens per credit", tag, auth: 'admin',
    params: teamParamsSchema, body: conversionRatesSchema, response: conversionRatesViewSchema,
    handler: async ({ params, body }) => {
      const patch: CreditTermsPatch = {};
      if (body.credits_per_dollar !== undefined) patch.creditsPerDollar = body.credits_per_dollar;
      if (body.tokens_per_credit !== undefined) patch.tokensPerCredit = body.tokens_per_credit;
      return conversionRatesJson(await deps.credits.updateTerms(params.team_id, patch));
    },
  });
  defineRoute(app, registry, {
    method: 'POST', url: '/api/credits/teams/:team_id/configure-auto-refill', summary: 'Configure auto-refill (amount per daily, weekly or monthly period)', tag,
    auth: 'admin', params: teamParamsSchema, body: autoRefillSchema, response: creditBalanceSchema,
    handler: async ({ params, body }) => {
      const patch: Partial<AutoRefillSettings> = {};
      if (body.enabled !== undefined) patch.enabled = body.enabled;
      if (body.refill_amount !== undefined) patch.amountMicro = body.refill_amount === null ? null : creditsToMicro(body.refill_amount);
      if (body.refill_period !== undefined) patch.period = body.refill_period;
      return balanceJson(await deps.credits.configureAutoRefill(params.team_id, patch));
    },
  });
}

function conversionRatesJson(account: CreditAccount) {
  return { team_id: account.teamId, credits_per_dollar: account.creditsPerDollar, tokens_per_credit: account.tokensPerCredit };
}
