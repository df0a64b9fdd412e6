-- Accounting decided in memory (decision 012). On embedded PGlite the gateway is the database's only
-- user, so it decides admissions and hold changes itself, in memory, with the same rules as admit_calls
-- and settle_calls, and the database applies those decisions as they are: an admission is not checked
-- again, a settlement's hold changes by the `hold_change` it carries. PostgreSQL (shared by instances)
-- keeps deciding in the database with admit_calls / account_calls.

-- Applies admitted calls: the job's counters (opened on its first call), the team's held credits and a
-- reservation per hold. Each element as for admit_calls, plus, for a call whose settlement is applied in
-- the same statement (`coalesced`), `settled_hold_micro`: its hold is written at its settled amount and
-- the call is not counted in flight, so the settlement touches neither again (one row version less per
-- call, and no per-hold statements in settle_calls' loop). Every row is found by its key.
CREATE FUNCTION apply_admissions(requests jsonb, hold_ttl_seconds integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  job record;
  team record;
BEGIN
  FOR job IN
    SELECT (e->>'job_id')::uuid AS job_id,
           count(*) FILTER (WHERE NOT COALESCE((e->>'coalesced')::boolean, false))::integer AS calls,
           COALESCE(sum((e->>'worst_cost_nanos')::bigint) FILTER (WHERE NOT COALESCE((e->>'coalesced')::boolean, false)), 0) AS worst
      FROM jsonb_array_elements(requests) e GROUP BY 1 ORDER BY 1
  LOOP
    UPDATE jobs SET status = CASE WHEN status = 'pending' THEN 'in_progress' ELSE status END,
           started_at = COALESCE(started_at, now()),
           in_flight_calls = in_flight_calls + job.calls,
           pending_cost_nanos = pending_cost_nanos + job.worst
     WHERE job_id = job.job_id;
  END LOOP;
  FOR team IN
    SELECT e->>'team_id' AS team_id, sum(COALESCE((e->>'settled_hold_micro')::bigint, (e->>'hold_micro')::bigint)) AS held
      FROM jsonb_array_elements(requests) e WHERE (e->>'hold_micro')::bigint > 0 GROUP BY 1 ORDER BY 1
  LOOP
    UPDATE teams SET credits_reserved = credits_reserved + team.held WHERE team_id = team.team_id;
  END LOOP;
  INSERT INTO reservations (reservation_id, team_id, job_id, call_id, amount, expires_at)
  SELECT (e->>'reservation_id')::uuid, e->>'team_id', (e->>'job_id')::uuid, (e->>'call_id')::uuid,
         COALESCE((e->>'settled_hold_micro')::bigint, (e->>'hold_micro')::bigint), now() + make_interval(secs => hold_ttl_seconds)
    FROM jsonb_array_elements(requests) e
   WHERE (e->>'hold_micro')::bigint > 0;
END $$;

-- settle_calls as in 0002, except that an element carrying `hold_change` changes its hold by exactly that
-- (decided in memory) instead of by the difference computed here, and a `coalesced` element (admitted in
-- the same statement, see apply_admissions) leaves its hold and the job's in-flight counters alone.
CREATE OR REPLACE FUNCTION settle_calls(batch jsonb) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  fresh uuid[];
  job_ids uuid[];
  hold record;
  team_ids text[];
  team_available bigint[];
  team_change bigint[];
  reservation_ids uuid[];
  t integer;
  change bigint;
  held_amount bigint;
  held_team text;
BEGIN
  SELECT array_agg((e->'call'->>'job_id')::uuid), array_agg((e->>'reservation_id')::uuid) FILTER (WHERE e->>'reservation_id' IS NOT NULL)
    INTO job_ids, reservation_ids
    FROM jsonb_array_elements(batch) e;
  PERFORM 1 FROM jobs WHERE job_id = ANY(job_ids) ORDER BY job_id FOR NO KEY UPDATE;
  PERFORM 1 FROM reservations WHERE reservation_id = ANY(reservation_ids) ORDER BY reservation_id FOR NO KEY UPDATE;
  SELECT array_agg(team_id ORDER BY team_id), array_agg(credits_allocated - credits_used - credits_reserved ORDER BY team_id)
    INTO team_ids, team_available
    FROM (SELECT * FROM teams WHERE team_id = ANY(ARRAY(SELECT e->'call'->>'team_id' FROM jsonb_array_elements(batch) e WHERE e->>'reservation_id' IS NOT NULL))
           ORDER BY team_id FOR NO KEY UPDATE) locked;
  team_change := array_fill(0::bigint, ARRAY[COALESCE(cardinality(team_ids), 0)]);

  WITH inserted AS (
    INSERT INTO calls SELECT * FROM jsonb_populate_recordset(NULL::calls, (SELECT jsonb_agg(e->'call') FROM jsonb_array_elements(batch) e))
    ON CONFLICT (call_id) DO NOTHING
    RETURNING call_id)
  SELECT COALESCE(array_agg(call_id), '{}') INTO fresh FROM inserted;
  IF cardinality(fresh) = 0 THEN
    RETURN 0;
  END IF;

  -- Only the calls inserted now count; the batch's own order decides metadata merges and group order.
  INSERT INTO call_attempts (call_id, attempt_number, deployment_alias, provider, status, http_status, error_class, error_message, latency_ms, started_at)
  SELECT (r.e->'call'->>'call_id')::uuid, a.attempt_number, a.deployment_alias, a.provider, a.status, a.http_status, a.error_class, a.error_message, a.latency_ms, a.started_at
    FROM jsonb_array_elements(batch) AS r(e), jsonb_populate_recordset(NULL::call_attempts, r.e->'attempts') a
   WHERE (r.e->'call'->>'call_id')::uuid = ANY(fresh);

  WITH items AS (
    SELECT r.ord, r.e AS item, (r.e->'call'->>'job_id')::uuid AS job_id
      FROM jsonb_array_elements(batch) WITH ORDINALITY AS r(e, ord)
     WHERE (r.e->'call'->>'call_id')::uuid = ANY(fresh)),
  totals AS (
    SELECT job_id, count(*)::integer AS calls,
           count(*) FILTER (WHERE NOT COALESCE((item->>'coalesced')::boolean, false))::integer AS open_calls,
           COALESCE(sum((item->>'worst_cost_nanos')::bigint) FILTER (WHERE NOT COALESCE((item->>'coalesced')::boolean, false)), 0) AS worst,
           count(*) FILTER (WHERE (item->>'succeeded')::boolean)::integer AS succeeded,
           sum((item->'call'->>'prompt_tokens')::bigint) AS prompt_tokens,
           sum((item->'call'->>'completion_tokens')::bigint) AS completion_tokens,
           sum((item->'call'->>'total_tokens')::bigint) AS total_tokens,
           sum((item->'call'->>'provider_cost_nanos')::bigint) AS provider_cost,
           sum((item->'call'->>'client_cost_nanos')::bigint) AS client_cost,
           sum(COALESCE((item->'call'->>'latency_ms')::bigint, 0)) AS latency
      FROM items GROUP BY job_id)
  UPDATE jobs SET in_flight_calls = jobs.in_flight_calls - totals.open_calls,
         pending_cost_nanos = jobs.pending_cost_nanos - totals.worst,
         total_calls = jobs.total_calls + totals.calls,
         successful_calls = jobs.successful_calls + totals.succeeded,
         failed_calls = jobs.failed_calls + totals.calls - totals.succeeded,
         prompt_tokens = jobs.prompt_tokens + totals.prompt_tokens,
         completion_tokens = jobs.completion_tokens + totals.completion_tokens,
         total_tokens = jobs.total_tokens + totals.total_tokens,
         provider_cost_nanos = jobs.provider_cost_nanos + totals.provider_cost,
         client_cost_nanos = jobs.client_cost_nanos + totals.client_cost,
         total_latency_ms = jobs.total_latency_ms + totals.latency,
         model_groups_used = jobs.model_groups_used || ARRAY(
           SELECT g.name FROM (SELECT i.item->>'model_group' AS name, min(i.ord) AS first FROM items i
                                WHERE i.job_id = totals.job_id AND i.item->>'model_group' IS NOT NULL GROUP BY 1) g
            WHERE g.name <> ALL(jobs.model_groups_used) ORDER BY g.first),
         metadata = jobs.metadata || COALESCE((
           SELECT jsonb_object_agg(kv.key, kv.value ORDER BY i.ord) FROM items i, jsonb_each(i.item->'metadata') kv
            WHERE i.job_id = totals.job_id AND (i.item->>'succeeded')::boolean AND jsonb_typeof(i.item->'metadata') = 'object'), '{}'::jsonb)
    FROM totals
   WHERE jobs.job_id = ANY(job_ids) AND jobs.job_id = totals.job_id;

  -- Holds in batch order: a hold grows only as far as its team's balance allows at that point. Each row is
  -- found by its key: never a join the planner could turn into a scan of the whole (growing) table.
  FOR hold IN
    SELECT (b.e->>'reservation_id')::uuid AS reservation_id, (b.e->>'actual_hold_micro')::bigint AS actual,
           (b.e->>'hold_change')::bigint AS decided
      FROM jsonb_array_elements(batch) WITH ORDINALITY AS b(e, ord)
     WHERE b.e->>'reservation_id' IS NOT NULL AND (b.e->'call'->>'call_id')::uuid = ANY(fresh)
       AND NOT COALESCE((b.e->>'coalesced')::boolean, false)
     ORDER BY b.ord
  LOOP
    SELECT r.amount, r.team_id INTO held_amount, held_team FROM reservations r WHERE r.reservation_id = hold.reservation_id AND r.status = 'held';
    CONTINUE WHEN NOT FOUND;
    t := array_position(team_ids, held_team);
    CONTINUE WHEN t IS NULL;
    change := COALESCE(hold.decided, LEAST(hold.actual, held_amount + GREATEST(0, team_available[t])) - held_amount);
    CONTINUE WHEN change = 0;
    team_available[t] := team_available[t] - change;
    team_change[t] := team_change[t] + change;
    UPDATE reservations SET amount = amount + change WHERE reservation_id = hold.reservation_id;
  END LOOP;
  FOR t IN 1 .. COALESCE(cardinality(team_ids), 0) LOOP
    CONTINUE WHEN team_change[t] = 0;
    UPDATE teams SET credits_reserved = credits_reserved + team_change[t] WHERE team_id = team_ids[t];
  END LOOP;
  RETURN cardinality(fresh);
END $$;

-- One round of decided accounting as one statement: the admissions first (a call admitted and settled
-- within one round finds its reservation), then the settlements.
CREATE FUNCTION apply_calls(admissions jsonb, settlements jsonb, hold_ttl_seconds integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF jsonb_array_length(admissions) > 0 THEN
    PERFORM apply_admissions(admissions, hold_ttl_seconds);
  END IF;
  IF jsonb_array_length(settlements) > 0 THEN
    PERFORM settle_calls(settlements);
  END IF;
END $$;
