import type {
  accessGroupCreateSchema, accessGroupModelsSchema, accessGroupUpdateSchema, adminAnalyticsQuerySchema, adminAnalyticsSchema,
  adminJobDetailSchema, adminJobListQuerySchema, adminJobPageSchema, adminLoginSchema, adminMeSchema, adminSessionResponseSchema,
  adminSetupSchema, adminUserCreateSchema, adminUserSchema, adminUserUpdateSchema, auditLogEntrySchema, auditLogPageSchema,
  auditQuerySchema, autoRefillSchema, budgetModeSchema, changePasswordSchema, conversionRatesSchema, conversionRatesViewSchema,
  createdTeamSchema, createdVirtualKeySchema, creditBalanceSchema, creditChangeSchema, creditTransactionPageSchema,
  creditTransactionSchema, creditsAddSchema, creditsAdjustSchema, creditsReplenishSchema, credentialUpdateSchema,
  credentialViewSchema, dashboardStatsSchema, deploymentUpdateSchema, deploymentViewSchema, keyRotateSchema, ledgerQuerySchema,
  modelGroupUpdateSchema, modelGroupViewSchema, organizationListSchema, organizationSchema, organizationUsageQuerySchema,
  organizationUsageSchema, pricingViewSchema, resolutionViewSchema, resolveQuerySchema, rotatedVirtualKeySchema, teamListQuerySchema,
  teamSchema, virtualKeyListSchema, virtualKeySchema, accessGroupViewSchema,
} from '@saas-llm/protocol';

/**
 * Request and response types of the admin API, taken from the protocol's schemas so that the SDK and the
 * server cannot drift apart. `Wire<S>` is what `z.infer` gives, without a dependency on zod here: the
 * SDK depends on the protocol package only.
 */
type Wire<Schema extends { _zod: { output: unknown } }> = Schema['_zod']['output'];

// ---------- request bodies and queries ----------
export type TeamListQuery = Wire<typeof teamListQuerySchema>;
export type OrganizationUsageQuery = Wire<typeof organizationUsageQuerySchema>;
export type KeyRotate = Wire<typeof keyRotateSchema>;
export type CreditsAdd = Wire<typeof creditsAddSchema>;
export type CreditsReplenish = Wire<typeof creditsReplenishSchema>;
export type CreditsAdjust = Wire<typeof creditsAdjustSchema>;
export type BudgetModeChange = Wire<typeof budgetModeSchema>;
export type ConversionRatesChange = Wire<typeof conversionRatesSchema>;
export type AutoRefillSettings = Wire<typeof autoRefillSchema>;
/** `cursor` is the `next_cursor` of the previous page. */
export type TransactionsQuery = Wire<typeof ledgerQuerySchema>;
export type CredentialUpdate = Wire<typeof credentialUpdateSchema>;
export type DeploymentUpdate = Wire<typeof deploymentUpdateSchema>;
export type ModelGroupUpdate = Wire<typeof modelGroupUpdateSchema>;
/** `team_id` checks the team's access; the other fields describe the request to resolve for. */
export type ModelGroupResolveQuery = Wire<typeof resolveQuerySchema>;
export type AccessGroupCreate = Wire<typeof accessGroupCreateSchema>;
export type AccessGroupUpdate = Wire<typeof accessGroupUpdateSchema>;
export type AccessGroupMembers = Wire<typeof accessGroupModelsSchema>;
export type AdminSetup = Wire<typeof adminSetupSchema>;
export type AdminLogin = Wire<typeof adminLoginSchema>;
export type AdminUserCreate = Wire<typeof adminUserCreateSchema>;
export type AdminUserUpdate = Wire<typeof adminUserUpdateSchema>;
export type ChangePassword = Wire<typeof changePasswordSchema>;
/** `from`/`to` are ISO date-times; `cursor` is the `next_cursor` of the previous page. */
export type AuditLogQuery = Wire<typeof auditQuerySchema>;
export type AdminJobsQuery = Wire<typeof adminJobListQuerySchema>;
export type AnalyticsQuery = Wire<typeof adminAnalyticsQuerySchema>;

/** `?force=true` deletes a resource that is still in use or has history (soft delete either way). */
export interface DeleteOptions {
  force?: boolean;
}

// ---------- responses ----------
export type Organization = Wire<typeof organizationSchema>;
export type OrganizationList = Wire<typeof organizationListSchema>;
export type OrganizationUsage = Wire<typeof organizationUsageSchema>;
export interface OrganizationDeleted {
  organization_id: string;
  deleted: true;
  deleted_at: string;
  deleted_teams: string[];
}
/** A team as the operator sees it: credit account, settings, limits, access. */
export type Team = Wire<typeof teamSchema>;
/** The admin answer of `GET /api/teams` (a virtual key would see only its own team, in a shorter form). */
export interface TeamList {
  teams: Team[];
}
export interface OrganizationTeams {
  organization_id: string;
  teams: Team[];
}
/** The team plus its first virtual key: `virtual_key` is the full key, shown this once. */
export type TeamCreated = Wire<typeof createdTeamSchema>;
export interface TeamDeleted {
  team_id: string;
  deleted: true;
  deleted_at: string;
}
/** A virtual key's record: the display prefix, never the key. */
export type VirtualKey = Wire<typeof virtualKeySchema>;
export type VirtualKeyList = Wire<typeof virtualKeyListSchema>;
/** A new key: `key` is the full key, shown this once. */
export type VirtualKeyCreated = Wire<typeof createdVirtualKeySchema>;
/** The successor key (full `key`, shown once) and the record of the key it replaces. */
export type VirtualKeyRotated = Wire<typeof rotatedVirtualKeySchema>;
/** A team's credit account. `credits_available` = remaining − reserved. */
export type CreditBalance = Wire<typeof creditBalanceSchema>;
/** One append-only ledger row; `amount` is signed. */
export type CreditTransaction = Wire<typeof creditTransactionSchema>;
export type CreditTransactionPage = Wire<typeof creditTransactionPageSchema>;
/** The ledger row a top-up or adjustment wrote, and the balance after it. */
export type CreditChange = Wire<typeof creditChangeSchema>;
export type ConversionRates = Wire<typeof conversionRatesViewSchema>;
/** A provider credential without its secret: only `has_api_key` and `api_key_last4`. */
export type ProviderCredential = Wire<typeof credentialViewSchema>;
/** A deployment (model alias); prices in USD per 1M tokens. */
export type Deployment = Wire<typeof deploymentViewSchema>;
export type ModelGroup = Wire<typeof modelGroupViewSchema>;
/** The dry run: candidates in the order they would be tried, and why each other member was skipped. */
export type ModelGroupResolution = Wire<typeof resolutionViewSchema>;
export type AccessGroup = Wire<typeof accessGroupViewSchema>;
/** The answer of deleting a credential, deployment, model group or access group. */
export interface CatalogDeleted {
  deleted: true;
  credential_id?: string;
  alias?: string;
  name?: string;
}
export type AdminUser = Wire<typeof adminUserSchema>;
export interface AdminUserList {
  users: AdminUser[];
}
/** Login and setup: the session token (also set as the `saas_llm_session` cookie), its expiry, the user. */
export type AdminSession = Wire<typeof adminSessionResponseSchema>;
/** The caller; `auth` says whether it came with the master key or a session. */
export type AdminMe = Wire<typeof adminMeSchema>;
export type AuditLogEntry = Wire<typeof auditLogEntrySchema>;
export type AuditLogPage = Wire<typeof auditLogPageSchema>;
export type AdminJobPage = Wire<typeof adminJobPageSchema>;
/** A job with every call: deployment, provider model, attempts, provider and client cost, margin, bodies. */
export type AdminJobDetail = Wire<typeof adminJobDetailSchema>;
export type AnalyticsReport = Wire<typeof adminAnalyticsSchema>;
export type DashboardStats = Wire<typeof dashboardStatsSchema>;
export type PricingTable = Wire<typeof pricingViewSchema>;
/** The plain acknowledgement of logout and password change. */
export interface Acknowledgement {
  ok: true;
}
