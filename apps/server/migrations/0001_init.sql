-- The whole schema of 03-domain.md and 04-admin-api.md.
-- Money: credits in integer micro-credits, USD in integer nano-dollars; prices in nano-dollars per 1M tokens.

CREATE TABLE organizations (
  organization_id text PRIMARY KEY,
  name            text NOT NULL,
  status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
  metadata        jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  deleted_at      timestamptz
);

CREATE TABLE teams (
  team_id                 text PRIMARY KEY,
  organization_id         text NOT NULL REFERENCES organizations(organization_id),
  name                    text NOT NULL,
  status                  text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'paused')),
  cost_markup_percentage  numeric(10,4) NOT NULL DEFAULT 0 CHECK (cost_markup_percentage >= 0),
  body_logging            text NOT NULL DEFAULT 'full' CHECK (body_logging IN ('full', 'metadata', 'none')),
  metadata                jsonb NOT NULL DEFAULT '{}'::jsonb,
  rpm_limit               integer CHECK (rpm_limit > 0),
  tpm_limit               integer CHECK (tpm_limit > 0),
  max_concurrent_calls    integer CHECK (max_concurrent_calls > 0),
  max_open_jobs           integer CHECK (max_open_jobs > 0),
  -- credit account
  credits_allocated       bigint NOT NULL DEFAULT 0,
  credits_used            bigint NOT NULL DEFAULT 0,
  credits_reserved        bigint NOT NULL DEFAULT 0 CHECK (credits_reserved >= 0),
  budget_mode             text NOT NULL DEFAULT 'job_based' CHECK (budget_mode IN ('job_based', 'consumption_usd', 'consumption_tokens')),
  credits_per_dollar      numeric(20,6) NOT NULL DEFAULT 10 CHECK (credits_per_dollar > 0),
  tokens_per_credit       bigint NOT NULL DEFAULT 10000 CHECK (tokens_per_credit > 0),
  failed_job_policy       text NOT NULL DEFAULT 'free' CHECK (failed_job_policy IN ('free', 'consumption')),
  refill_enabled          boolean NOT NULL DEFAULT false,
  refill_amount           bigint CHECK (refill_amount >= 0),
  refill_period           text CHECK (refill_period IN ('daily', 'weekly', 'monthly')),
  created_at              timestamptz NOT NULL DEFAULT now(),
  updated_at              timestamptz NOT NULL DEFAULT now(),
  deleted_at              timestamptz
);
CREATE INDEX teams_organization_idx ON teams (organization_id);

CREATE TABLE virtual_keys (
  key_id               uuid PRIMARY KEY,
  team_id              text NOT NULL REFERENCES teams(team_id),
  name                 text NOT NULL,
  prefix               text NOT NULL,
  key_hash             text NOT NULL UNIQUE,
  created_at           timestamptz NOT NULL DEFAULT now(),
  expires_at           timestamptz,
  revoked_at           timestamptz,
  last_used_at         timestamptz,
  rpm_limit            integer CHECK (rpm_limit > 0),
  tpm_limit            integer CHECK (tpm_limit > 0),
  allowed_model_groups text[]
);
CREATE INDEX virtual_keys_team_idx ON virtual_keys (team_id);

CREATE TABLE provider_credentials (
  credential_id     uuid PRIMARY KEY,
  provider          text NOT NULL CHECK (provider IN ('openai', 'anthropic', 'gemini', 'azure', 'openai-compatible', 'mock')),
  name              text NOT NULL UNIQUE,
  secret_ciphertext text,
  secret_last4      text,
  api_base          text,
  api_version       text,
  extra_headers_ciphertext text,
  organization_id   text REFERENCES organizations(organization_id),
  active            boolean NOT NULL DEFAULT true,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE deployments (
  alias                    text PRIMARY KEY,
  provider                 text NOT NULL CHECK (provider IN ('openai', 'anthropic', 'gemini', 'azure', 'openai-compatible', 'mock')),
  model                    text NOT NULL,
  credential_id            uuid REFERENCES provider_credentials(credential_id),
  api_base                 text,
  input_price_nanos        bigint CHECK (input_price_nanos >= 0),   -- nano-USD per 1M tokens
  output_price_nanos       bigint CHECK (output_price_nanos >= 0),
  cached_input_price_nanos bigint CHECK (cached_input_price_nanos >= 0),
  context_window           integer CHECK (context_window > 0),
  max_output_tokens        integer CHECK (max_output_tokens > 0),
  capabilities             jsonb NOT NULL DEFAULT '{}'::jsonb,
  status                   text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
  timeout_ms               integer NOT NULL DEFAULT 600000 CHECK (timeout_ms > 0),
  settings                 jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at               timestamptz NOT NULL DEFAULT now(),
  updated_at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deployments_credential_idx ON deployments (credential_id);

CREATE TABLE model_groups (
  name             text PRIMARY KEY,
  display_name     text NOT NULL,
  description      text NOT NULL DEFAULT '',
  strategy         text NOT NULL DEFAULT 'priority' CHECK (strategy IN ('priority', 'weighted')),
  num_retries      integer NOT NULL DEFAULT 2 CHECK (num_retries >= 0),
  retry_backoff_ms integer NOT NULL DEFAULT 250 CHECK (retry_backoff_ms >= 0),
  status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE model_group_members (
  group_name text NOT NULL REFERENCES model_groups(name) ON DELETE CASCADE,
  alias      text NOT NULL REFERENCES deployments(alias),
  priority   integer NOT NULL DEFAULT 0,
  weight     integer NOT NULL DEFAULT 1 CHECK (weight > 0),
  -- the order the operator listed members in: breaks priority ties under the `priority` strategy
  position   integer NOT NULL DEFAULT 0,
  PRIMARY KEY (group_name, alias)
);
CREATE INDEX model_group_members_alias_idx ON model_group_members (alias);

CREATE TABLE access_groups (
  name        text PRIMARY KEY,
  description text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE access_group_members (
  access_group_name text NOT NULL REFERENCES access_groups(name) ON DELETE CASCADE,
  member_type       text NOT NULL CHECK (member_type IN ('model_group', 'deployment')),
  member_name       text NOT NULL,
  PRIMARY KEY (access_group_name, member_type, member_name)
);
CREATE INDEX access_group_members_member_idx ON access_group_members (member_type, member_name);

CREATE TABLE team_access_groups (
  team_id           text NOT NULL REFERENCES teams(team_id),
  access_group_name text NOT NULL REFERENCES access_groups(name) ON DELETE CASCADE,
  PRIMARY KEY (team_id, access_group_name)
);

CREATE TABLE jobs (
  job_id             uuid PRIMARY KEY,
  team_id            text NOT NULL REFERENCES teams(team_id),
  key_id             uuid,
  user_id            text,
  job_type           text NOT NULL,
  status             text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'in_progress', 'completed', 'failed', 'cancelled', 'expired')),
  idempotency_key    text,
  created_at         timestamptz NOT NULL DEFAULT now(),
  started_at         timestamptz,
  completed_at       timestamptz,
  expires_at         timestamptz NOT NULL,
  metadata           jsonb NOT NULL DEFAULT '{}'::jsonb,
  result             jsonb,
  error_message      text,
  max_cost_nanos     bigint CHECK (max_cost_nanos >= 0),
  max_calls          integer CHECK (max_calls > 0),
  credit_applied     boolean NOT NULL DEFAULT false,
  credits_charged    bigint NOT NULL DEFAULT 0,
  model_groups_used  text[] NOT NULL DEFAULT '{}',
  -- live totals, updated as calls settle
  total_calls        integer NOT NULL DEFAULT 0,
  successful_calls   integer NOT NULL DEFAULT 0,
  failed_calls       integer NOT NULL DEFAULT 0,
  prompt_tokens      bigint NOT NULL DEFAULT 0,
  completion_tokens  bigint NOT NULL DEFAULT 0,
  total_tokens       bigint NOT NULL DEFAULT 0,
  provider_cost_nanos bigint NOT NULL DEFAULT 0,
  client_cost_nanos  bigint NOT NULL DEFAULT 0,
  total_latency_ms   bigint NOT NULL DEFAULT 0,
  -- admission control: calls running now and the worst-case client cost they may still add
  in_flight_calls    integer NOT NULL DEFAULT 0 CHECK (in_flight_calls >= 0),
  pending_cost_nanos bigint NOT NULL DEFAULT 0 CHECK (pending_cost_nanos >= 0)
);
CREATE UNIQUE INDEX jobs_idempotency_idx ON jobs (team_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX jobs_team_created_idx ON jobs (team_id, created_at DESC, job_id DESC);
CREATE INDEX jobs_open_expiry_idx ON jobs (expires_at) WHERE status IN ('pending', 'in_progress');

CREATE TABLE calls (
  call_id            uuid PRIMARY KEY,
  job_id             uuid NOT NULL REFERENCES jobs(job_id),
  team_id            text NOT NULL REFERENCES teams(team_id),
  key_id             uuid,
  requested_model    text NOT NULL,
  model_group        text,
  deployment_alias   text,
  provider           text,
  provider_model     text,
  attempts           integer NOT NULL DEFAULT 0,
  status             text NOT NULL DEFAULT 'in_progress' CHECK (status IN ('in_progress', 'succeeded', 'failed', 'cancelled')),
  stream             boolean NOT NULL DEFAULT false,
  prompt_tokens      integer NOT NULL DEFAULT 0,
  completion_tokens  integer NOT NULL DEFAULT 0,
  cached_tokens      integer NOT NULL DEFAULT 0,
  total_tokens       integer NOT NULL DEFAULT 0,
  usage_source       text CHECK (usage_source IN ('reported', 'estimated')),
  provider_cost_nanos bigint NOT NULL DEFAULT 0,
  client_cost_nanos  bigint NOT NULL DEFAULT 0,
  unpriced           boolean NOT NULL DEFAULT false,
  latency_ms         integer,
  ttft_ms            integer,
  purpose            text,
  request_body       jsonb,
  response_body      jsonb,
  error              jsonb,
  created_at         timestamptz NOT NULL DEFAULT now(),
  finished_at        timestamptz
);
CREATE INDEX calls_job_idx ON calls (job_id, created_at);
CREATE INDEX calls_team_created_idx ON calls (team_id, created_at);

CREATE TABLE call_attempts (
  attempt_id       bigserial PRIMARY KEY,
  call_id          uuid NOT NULL REFERENCES calls(call_id),
  attempt_number   integer NOT NULL,
  deployment_alias text NOT NULL,
  provider         text NOT NULL,
  status           text NOT NULL CHECK (status IN ('succeeded', 'failed', 'cancelled')),
  http_status      integer,
  error_class      text,
  error_message    text,
  latency_ms       integer NOT NULL DEFAULT 0,
  started_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (call_id, attempt_number)
);

CREATE TABLE reservations (
  reservation_id uuid PRIMARY KEY,
  team_id        text NOT NULL REFERENCES teams(team_id),
  job_id         uuid REFERENCES jobs(job_id),
  call_id        uuid,
  amount         bigint NOT NULL CHECK (amount >= 0),  -- micro-credits
  status         text NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'released')),
  created_at     timestamptz NOT NULL DEFAULT now(),
  expires_at     timestamptz NOT NULL,
  released_at    timestamptz
);
CREATE INDEX reservations_held_idx ON reservations (expires_at) WHERE status = 'held';
CREATE INDEX reservations_job_idx ON reservations (job_id) WHERE status = 'held';

CREATE TABLE credit_transactions (
  transaction_id   bigserial PRIMARY KEY,
  team_id          text NOT NULL REFERENCES teams(team_id),
  type             text NOT NULL CHECK (type IN ('allocation', 'deduction', 'refund', 'adjustment', 'auto_refill')),
  amount           bigint NOT NULL,  -- signed micro-credits: + adds to the balance
  balance_before   bigint NOT NULL,
  balance_after    bigint NOT NULL CHECK (balance_after = balance_before + amount),
  job_id           uuid REFERENCES jobs(job_id),
  actor            text NOT NULL,
  reason           text,
  payment_type     text CHECK (payment_type IN ('subscription', 'one_time')),
  payment_amount_nanos bigint,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX credit_transactions_team_idx ON credit_transactions (team_id, transaction_id DESC);
-- One charge per job, ever: the database refuses a second deduction for the same job.
CREATE UNIQUE INDEX credit_transactions_job_charge_idx ON credit_transactions (job_id) WHERE type = 'deduction';

-- The ledger is append-only.
CREATE FUNCTION credit_transactions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'credit_transactions is append-only';
END;
$$;
CREATE TRIGGER credit_transactions_no_update BEFORE UPDATE OR DELETE ON credit_transactions
  FOR EACH ROW EXECUTE FUNCTION credit_transactions_append_only();

-- Exactly-once auto-refill per team and period, whatever the number of instances.
CREATE TABLE auto_refill_runs (
  team_id    text NOT NULL REFERENCES teams(team_id),
  period_key text NOT NULL,
  amount     bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (team_id, period_key)
);

CREATE TABLE admin_users (
  user_id       uuid PRIMARY KEY,
  email         text NOT NULL,
  name          text NOT NULL,
  role          text NOT NULL CHECK (role IN ('owner', 'admin', 'viewer')),
  status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  password_hash text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  last_login_at timestamptz
);
CREATE UNIQUE INDEX admin_users_email_idx ON admin_users (lower(email));

CREATE TABLE admin_sessions (
  session_id  uuid PRIMARY KEY,
  user_id     uuid NOT NULL REFERENCES admin_users(user_id) ON DELETE CASCADE,
  token_hash  text NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  revoked_at  timestamptz,
  ip          text,
  user_agent  text
);
CREATE INDEX admin_sessions_user_idx ON admin_sessions (user_id);

CREATE TABLE audit_log (
  audit_id      bigserial PRIMARY KEY,
  actor_type    text NOT NULL CHECK (actor_type IN ('master_key', 'admin_user', 'system')),
  actor_id      text NOT NULL,
  -- kept on the row so the log still says who acted after the admin user is deleted
  actor_email   text,
  action        text NOT NULL,
  resource_type text NOT NULL,
  resource_id   text,
  ip            text,
  user_agent    text,
  diff          jsonb,
  status_code   integer,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_created_idx ON audit_log (created_at DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, created_at DESC);
CREATE INDEX audit_log_resource_idx ON audit_log (resource_type, audit_id DESC);
