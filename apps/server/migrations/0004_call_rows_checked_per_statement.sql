-- Call rows checked per statement instead of per row (decision 015).
--
-- A foreign key checks each inserted row on its own: a query that locks the parent row (FOR KEY SHARE).
-- A call wrote five such checks — the call's job and team, its attempt's call, its hold's team and job —
-- and a round of calls repeats them on the same few parent rows. On embedded PGlite they were ~40 % of
-- the database's work per call (micro-benchmark, one job, rounds of 30: 357 → 190 µs per call without them).
--
-- The same guarantee for these append-only rows, once per statement: a trigger over the statement's new
-- rows looks up each distinct parent once (by its key: never a join the planner could turn into a scan of
-- a growing table) and fails the statement as the foreign key did (SQLSTATE 23503). What a foreign key
-- also guards — deleting a parent that has children — cannot happen here: jobs, teams, calls and
-- reservations are never deleted (organizations and teams are closed with `deleted_at`).

ALTER TABLE calls DROP CONSTRAINT calls_job_id_fkey;
ALTER TABLE calls DROP CONSTRAINT calls_team_id_fkey;
ALTER TABLE call_attempts DROP CONSTRAINT call_attempts_call_id_fkey;
ALTER TABLE reservations DROP CONSTRAINT reservations_team_id_fkey;
ALTER TABLE reservations DROP CONSTRAINT reservations_job_id_fkey;

-- A call or a hold belongs to an existing job of its team (jobs.team_id references teams, so the team
-- exists too); a hold without a job (none is written today) to an existing team.
CREATE FUNCTION check_job_parents() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  parent record;
BEGIN
  FOR parent IN SELECT DISTINCT job_id, team_id FROM inserted LOOP
    IF parent.job_id IS NULL THEN
      PERFORM 1 FROM teams WHERE team_id = parent.team_id;
    ELSE
      PERFORM 1 FROM jobs WHERE job_id = parent.job_id AND team_id = parent.team_id;
    END IF;
    IF NOT FOUND THEN
      RAISE foreign_key_violation USING MESSAGE = format('%s row of job %s (team %s): no such job of that team', TG_TABLE_NAME, parent.job_id, parent.team_id);
    END IF;
  END LOOP;
  RETURN NULL;
END $$;
CREATE TRIGGER calls_parents AFTER INSERT ON calls REFERENCING NEW TABLE AS inserted
  FOR EACH STATEMENT EXECUTE FUNCTION check_job_parents();
CREATE TRIGGER reservations_parents AFTER INSERT ON reservations REFERENCING NEW TABLE AS inserted
  FOR EACH STATEMENT EXECUTE FUNCTION check_job_parents();

CREATE FUNCTION check_attempt_parents() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  parent record;
BEGIN
  FOR parent IN SELECT DISTINCT call_id FROM inserted LOOP
    PERFORM 1 FROM calls WHERE call_id = parent.call_id;
    IF NOT FOUND THEN
      RAISE foreign_key_violation USING MESSAGE = format('attempt of call %s: no such call', parent.call_id);
    END IF;
  END LOOP;
  RETURN NULL;
END $$;
CREATE TRIGGER call_attempts_parents AFTER INSERT ON call_attempts REFERENCING NEW TABLE AS inserted
  FOR EACH STATEMENT EXECUTE FUNCTION check_attempt_parents();
