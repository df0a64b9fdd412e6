-- A round of decided accounting (decision 012) as one statement (decision 016).
--
-- apply_calls (0003) runs apply_admissions and settle_calls: some twenty statements per round, each with
-- its own executor start-up, and the round's JSON walked by most of them again. In embedded PGlite
-- (WebAssembly) a statement costs ~0.1–0.2 ms before it touches a row. Here the same changes are
-- data-modifying CTEs of one statement: each element parsed once, each row written once — the job's
-- admission and settlement counters in one UPDATE, the team's held credits in one. Micro-benchmark (both
-- functions interleaved, each call with a hold, medians of 250 rounds), µs of database CPU per call:
-- rounds of 1: 3,089 → 2,279; of 8: 634 → 515; of 32: 318 → 271; of 64: 283 → 247 (decision 016).
--
-- The write queue's decided rounds only: every settlement with a hold carries its decided `hold_change`
-- (LocalCallAccounting), and an admission settled in the same round is `coalesced` with it (written once,
-- at its settled amount). The journal replay, which has no decisions, keeps apply_calls. What one
-- statement cannot do — see a row another part of it wrote — is not needed: a hold changed here was
-- written in an earlier round (a settlement never precedes its admission's round, and one in the same
-- round is coalesced), and a call is counted only if its row is inserted now (`fresh`), as before.
CREATE FUNCTION apply_decided_round(admissions jsonb, settlements jsonb, hold_ttl_seconds integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  -- What one statement cannot apply (see above) is refused, never written wrong.
  IF EXISTS (SELECT 1 FROM jsonb_array_elements(settlements) e
              WHERE NOT COALESCE((e->>'coalesced')::boolean, false)
                AND ((e->>'reservation_id' IS NOT NULL AND e->>'hold_change' IS NULL)
                     OR e->'call'->>'call_id' IN (SELECT a->>'call_id' FROM jsonb_array_elements(admissions) a))) THEN
    RAISE invalid_parameter_value USING MESSAGE = 'apply_decided_round: a settlement with a hold but no decided hold_change, or admitted in the same round but not coalesced';
  END IF;
  WITH
  settled AS (
    SELECT r.ord, r.e, (r.e->'call'->>'call_id')::uuid AS call_id, (r.e->'call'->>'job_id')::uuid AS job_id,
           COALESCE((r.e->>'coalesced')::boolean, false) AS coalesced
      FROM jsonb_array_elements(settlements) WITH ORDINALITY AS r(e, ord)),
  inserted AS (
    INSERT INTO calls SELECT c.* FROM settled s, jsonb_populate_record(NULL::calls, s.e->'call') c
    ON CONFLICT (call_id) DO NOTHING RETURNING call_id),
  fresh AS (SELECT s.* FROM settled s JOIN inserted i USING (call_id)),
  attempts AS (
    INSERT INTO call_attempts (call_id, attempt_number, deployment_alias, provider, status, http_status, error_class, error_message, latency_ms, started_at)
    SELECT f.call_id, a.attempt_number, a.deployment_alias, a.provider, a.status, a.http_status, a.error_class, a.error_message, a.latency_ms, a.started_at
      FROM fresh f, jsonb_populate_recordset(NULL::call_attempts, f.e->'attempts') a),
  admitted AS (
    SELECT * FROM jsonb_to_recordset(admissions) AS x(call_id uuid, job_id uuid, team_id text, worst_cost_nanos bigint, hold_micro bigint,
                                                     reservation_id uuid, coalesced boolean, settled_hold_micro bigint)),
  holds AS (
    INSERT INTO reservations (reservation_id, team_id, job_id, call_id, amount, expires_at)
    SELECT reservation_id, team_id, job_id, call_id, COALESCE(settled_hold_micro, hold_micro), now() + make_interval(secs => hold_ttl_seconds)
      FROM admitted WHERE hold_micro > 0
    RETURNING team_id, amount),
  changed AS (
    UPDATE reservations r SET amount = r.amount + h.change
      FROM (SELECT (f.e->>'reservation_id')::uuid AS reservation_id, (f.e->>'hold_change')::bigint AS change FROM fresh f
             WHERE f.e->>'reservation_id' IS NOT NULL AND NOT f.coalesced) h
     WHERE r.reservation_id = h.reservation_id AND r.status = 'held' AND h.change <> 0
    RETURNING r.team_id, h.change),
  team_changes AS (
    UPDATE teams SET credits_reserved = credits_reserved + d.total
      FROM (SELECT team_id, sum(amount) AS total FROM (SELECT team_id, amount FROM holds UNION ALL SELECT team_id, change FROM changed) x GROUP BY 1) d
     WHERE teams.team_id = d.team_id AND d.total <> 0),
  job_admissions AS (
    SELECT job_id, count(*) FILTER (WHERE NOT COALESCE(coalesced, false))::integer AS calls,
           COALESCE(sum(worst_cost_nanos) FILTER (WHERE NOT COALESCE(coalesced, false)), 0) AS worst
      FROM admitted GROUP BY 1),
  job_settlements AS (
    SELECT job_id, count(*)::integer AS calls,
           count(*) FILTER (WHERE NOT coalesced)::integer AS open_calls,
           COALESCE(sum((e->>'worst_cost_nanos')::bigint) FILTER (WHERE NOT coalesced), 0) AS worst,
           count(*) FILTER (WHERE (e->>'succeeded')::boolean)::integer AS succeeded,
           sum((e->'call'->>'prompt_tokens')::bigint) AS prompt_tokens,
           sum((e->'call'->>'completion_tokens')::bigint) AS completion_tokens,
           sum((e->'call'->>'total_tokens')::bigint) AS total_tokens,
           sum((e->'call'->>'provider_cost_nanos')::bigint) AS provider_cost,
           sum((e->'call'->>'client_cost_nanos')::bigint) AS client_cost,
           sum(COALESCE((e->'call'->>'latency_ms')::bigint, 0)) AS latency,
           ARRAY(SELECT g.name FROM (SELECT f2.e->>'model_group' AS name, min(f2.ord) AS first FROM fresh f2
                                      WHERE f2.job_id = f.job_id AND f2.e->>'model_group' IS NOT NULL GROUP BY 1) g ORDER BY g.first) AS groups,
           COALESCE((SELECT jsonb_object_agg(kv.key, kv.value ORDER BY f2.ord) FROM fresh f2, jsonb_each(f2.e->'metadata') kv
                      WHERE f2.job_id = f.job_id AND (f2.e->>'succeeded')::boolean AND jsonb_typeof(f2.e->'metadata') = 'object'), '{}'::jsonb) AS metadata
      FROM fresh f GROUP BY job_id)
  UPDATE jobs SET
         status = CASE WHEN a.job_id IS NOT NULL AND jobs.status = 'pending' THEN 'in_progress' ELSE jobs.status END,
         started_at = CASE WHEN a.job_id IS NOT NULL THEN COALESCE(jobs.started_at, now()) ELSE jobs.started_at END,
         in_flight_calls = jobs.in_flight_calls + COALESCE(a.calls, 0) - COALESCE(s.open_calls, 0),
         pending_cost_nanos = jobs.pending_cost_nanos + COALESCE(a.worst, 0) - COALESCE(s.worst, 0),
         total_calls = jobs.total_calls + COALESCE(s.calls, 0),
         successful_calls = jobs.successful_calls + COALESCE(s.succeeded, 0),
         failed_calls = jobs.failed_calls + COALESCE(s.calls - s.succeeded, 0),
         prompt_tokens = jobs.prompt_tokens + COALESCE(s.prompt_tokens, 0),
         completion_tokens = jobs.completion_tokens + COALESCE(s.completion_tokens, 0),
         total_tokens = jobs.total_tokens + COALESCE(s.total_tokens, 0),
         provider_cost_nanos = jobs.provider_cost_nanos + COALESCE(s.provider_cost, 0),
         client_cost_nanos = jobs.client_cost_nanos + COALESCE(s.client_cost, 0),
         total_latency_ms = jobs.total_latency_ms + COALESCE(s.latency, 0),
         model_groups_used = jobs.model_groups_used || ARRAY(SELECT g FROM unnest(s.groups) WITH ORDINALITY AS u(g, o) WHERE g <> ALL(jobs.model_groups_used) ORDER BY o),
         metadata = jobs.metadata || COALESCE(s.metadata, '{}'::jsonb)
    FROM job_admissions a FULL JOIN job_settlements s USING (job_id)
   WHERE jobs.job_id = COALESCE(a.job_id, s.job_id);
END $$;
