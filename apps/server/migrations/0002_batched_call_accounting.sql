-- Batched call accounting (decision 010): the admissions and settlements of many concurrent calls run as
-- one statement each. On embedded PGlite a top-level statement costs ~0.4 ms whatever it does, while a
-- statement inside a function costs a fraction of that; batching also shares one commit.
--
-- Lock order, as on every money path: jobs, then reservations, then teams — each set locked up front in
-- key order, so two batches (or a batch and a single-row path) never wait on each other in a cycle.

-- Admits a batch of calls in order. Each element: {call_id, job_id, team_id, worst_cost_nanos, hold_micro,
-- reservation_id}. Returns one verdict per element, in order: {"kind":"admitted"} or why not
-- (job_not_found, job_closed + status, max_calls + max_calls, max_cost + max_cost_nanos/spent_nanos,
-- insufficient_credits + available_micro). A refused element changes nothing.
CREATE FUNCTION admit_calls(requests jsonb, hold_ttl_seconds integer) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  request jsonb;
  job record;
  worst bigint;
  hold bigint;
  available bigint;
  verdicts jsonb := '[]'::jsonb;
BEGIN
  PERFORM 1 FROM jobs WHERE job_id IN (SELECT (e->>'job_id')::uuid FROM jsonb_array_elements(requests) e)
    ORDER BY job_id FOR NO KEY UPDATE;
  PERFORM 1 FROM teams WHERE team_id IN (SELECT e->>'team_id' FROM jsonb_array_elements(requests) e WHERE (e->>'hold_micro')::bigint > 0)
    ORDER BY team_id FOR NO KEY UPDATE;
  FOR request IN SELECT e FROM jsonb_array_elements(requests) e LOOP
    worst := (request->>'worst_cost_nanos')::bigint;
    hold := (request->>'hold_micro')::bigint;
    SELECT j.team_id, j.status, j.expires_at, j.max_calls, j.total_calls, j.in_flight_calls, j.max_cost_nanos, j.client_cost_nanos, j.pending_cost_nanos
      INTO job FROM jobs j WHERE j.job_id = (request->>'job_id')::uuid;
    IF NOT FOUND OR job.team_id <> request->>'team_id' THEN
      verdicts := verdicts || jsonb_build_array(jsonb_build_object('kind', 'job_not_found'));
    ELSIF job.status NOT IN ('pending', 'in_progress') THEN
      verdicts := verdicts || jsonb_build_array(jsonb_build_object('kind', 'job_closed', 'status', job.status));
    ELSIF job.expires_at <= now() THEN
      verdicts := verdicts || jsonb_build_array(jsonb_build_object('kind', 'job_closed', 'status', 'expired'));
    ELSIF job.max_calls IS NOT NULL AND job.total_calls + job.in_flight_calls >= job.max_calls THEN
      verdicts := verdicts || jsonb_build_array(jsonb_build_object('kind', 'max_calls', 'max_calls', job.max_calls));
    ELSIF job.max_cost_nanos IS NOT NULL AND job.client_cost_nanos + job.pending_cost_nanos + worst > job.max_cost_nanos THEN
      verdicts := verdicts || jsonb_build_array(jsonb_build_object('kind', 'max_cost', 'max_cost_nanos', job.max_cost_nanos,
        'spent_nanos', job.client_cost_nanos + job.pending_cost_nanos));
    ELSE
      available := NULL;
      IF hold > 0 THEN
        SELECT t.credits_allocated - t.credits_used - t.credits_reserved INTO available FROM teams t WHERE t.team_id = request->>'team_id';
      END IF;
      IF hold > 0 AND (available IS NULL OR available < hold) THEN
        verdicts := verdicts || jsonb_build_array(jsonb_build_object('kind', 'insufficient_credits', 'available_micro', COALESCE(available, 0)));
      ELSE
        UPDATE jobs SET status = CASE WHEN status = 'pending' THEN 'in_progress' ELSE status END,
               started_at = COALESCE(started_at, now()),
               in_flight_calls = in_flight_calls + 1,
               pending_cost_nanos = pending_cost_nanos + worst
         WHERE job_id = (request->>'job_id')::uuid;
        IF hold > 0 THEN
          UPDATE teams SET credits_reserved = credits_reserved + hold WHERE team_id = request->>'team_id';
          INSERT INTO reservations (reservation_id, team_id, job_id, call_id, amount, expires_at)
          VALUES ((request->>'reservation_id')::uuid, request->>'team_id', (request->>'job_id')::uuid, (request->>'call_id')::uuid, hold,
                  now() + make_interval(secs => hold_ttl_seconds));
        END IF;
        verdicts := verdicts || jsonb_build_array(jsonb_build_object('kind', 'admitted'));
      END IF;
    END IF;
  END LOOP;
  RETURN verdicts;
END $$;

-- Settles a batch of finished calls. Each element: {call: a `calls` row as JSON (column names as keys),
-- attempts: `call_attempts` rows, worst_cost_nanos, succeeded, model_group, metadata, reservation_id,
-- actual_hold_micro}. Per call: the call and its attempts inserted, the job's totals updated, the hold
-- shrunk to what the call consumed (bounded by what is available: a balance never goes negative).
-- A call already recorded is skipped, so a retried batch never counts a call twice. Returns how many
-- calls it settled.
CREATE FUNCTION settle_calls(batch jsonb) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  item jsonb;
  call_row jsonb;
  held_amount bigint;
  available bigint;
  change bigint;
  settled integer := 0;
BEGIN
  PERFORM 1 FROM jobs WHERE job_id IN (SELECT (e->'call'->>'job_id')::uuid FROM jsonb_array_elements(batch) e)
    ORDER BY job_id FOR NO KEY UPDATE;
  PERFORM 1 FROM reservations WHERE reservation_id IN (SELECT (e->>'reservation_id')::uuid FROM jsonb_array_elements(batch) e WHERE e->>'reservation_id' IS NOT NULL)
    ORDER BY reservation_id FOR NO KEY UPDATE;
  PERFORM 1 FROM teams WHERE team_id IN (SELECT e->'call'->>'team_id' FROM jsonb_array_elements(batch) e WHERE e->>'reservation_id' IS NOT NULL)
    ORDER BY team_id FOR NO KEY UPDATE;
  FOR item IN SELECT e FROM jsonb_array_elements(batch) e LOOP
    call_row := item->'call';
    INSERT INTO calls SELECT * FROM jsonb_populate_record(NULL::calls, call_row) ON CONFLICT (call_id) DO NOTHING;
    CONTINUE WHEN NOT FOUND;
    INSERT INTO call_attempts (call_id, attempt_number, deployment_alias, provider, status, http_status, error_class, error_message, latency_ms, started_at)
    SELECT (call_row->>'call_id')::uuid, a.attempt_number, a.deployment_alias, a.provider, a.status, a.http_status, a.error_class, a.error_message, a.latency_ms, a.started_at
      FROM jsonb_populate_recordset(NULL::call_attempts, item->'attempts') a;
    UPDATE jobs SET in_flight_calls = in_flight_calls - 1,
           pending_cost_nanos = pending_cost_nanos - (item->>'worst_cost_nanos')::bigint,
           total_calls = total_calls + 1,
           successful_calls = successful_calls + CASE WHEN (item->>'succeeded')::boolean THEN 1 ELSE 0 END,
           failed_calls = failed_calls + CASE WHEN (item->>'succeeded')::boolean THEN 0 ELSE 1 END,
           prompt_tokens = prompt_tokens + (call_row->>'prompt_tokens')::bigint,
           completion_tokens = completion_tokens + (call_row->>'completion_tokens')::bigint,
           total_tokens = total_tokens + (call_row->>'total_tokens')::bigint,
           provider_cost_nanos = provider_cost_nanos + (call_row->>'provider_cost_nanos')::bigint,
           client_cost_nanos = client_cost_nanos + (call_row->>'client_cost_nanos')::bigint,
           total_latency_ms = total_latency_ms + COALESCE((call_row->>'latency_ms')::bigint, 0),
           model_groups_used = CASE WHEN item->>'model_group' IS NULL OR item->>'model_group' = ANY(model_groups_used) THEN model_groups_used
                                    ELSE array_append(model_groups_used, item->>'model_group') END,
           metadata = CASE WHEN jsonb_typeof(item->'metadata') = 'object' THEN metadata || (item->'metadata') ELSE metadata END
     WHERE job_id = (call_row->>'job_id')::uuid;
    IF item->>'reservation_id' IS NOT NULL THEN
      SELECT r.amount, t.credits_allocated - t.credits_used - t.credits_reserved INTO held_amount, available
        FROM reservations r JOIN teams t ON t.team_id = r.team_id
       WHERE r.reservation_id = (item->>'reservation_id')::uuid AND r.status = 'held';
      IF FOUND THEN
        change := LEAST((item->>'actual_hold_micro')::bigint, held_amount + GREATEST(0, available)) - held_amount;
        UPDATE reservations SET amount = amount + change WHERE reservation_id = (item->>'reservation_id')::uuid;
        UPDATE teams SET credits_reserved = credits_reserved + change WHERE team_id = call_row->>'team_id';
      END IF;
    END IF;
    settled := settled + 1;
  END LOOP;
  RETURN settled;
END $$;
