-- PostgreSQL only: DuckDB's functions that core SQL uses and PostgreSQL lacks (or spells differently), in the
-- schema duckdb_compat. Every HubDesk connection searches it before pg_catalog
-- (search_path = public, duckdb_compat, pg_catalog; core/platform/pg.py), so where both define a name with the
-- same arguments (regexp_matches, the / of two integers) DuckDB's meaning wins. Applied at every start, before
-- the migrations (core/platform/migrate.py): CREATE OR REPLACE only, so it is safe to run again.
-- Function bodies never divide two integers (the / below would apply to them too): they use div() or floats.
CREATE SCHEMA IF NOT EXISTS duckdb_compat;

-- date_diff('day' | 'week' | 'month' | 'year' | 'hour' | 'minute' | 'second', a, b): boundaries crossed from a to b
CREATE OR REPLACE FUNCTION duckdb_compat.date_diff(part text, a timestamp, b timestamp) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE lower(part)
    WHEN 'day' THEN (b::date - a::date)::bigint
    WHEN 'days' THEN (b::date - a::date)::bigint
    WHEN 'week' THEN div(b::date - a::date, 7)::bigint
    WHEN 'weeks' THEN div(b::date - a::date, 7)::bigint
    WHEN 'month' THEN ((extract(year FROM b) * 12 + extract(month FROM b))
                       - (extract(year FROM a) * 12 + extract(month FROM a)))::bigint
    WHEN 'months' THEN ((extract(year FROM b) * 12 + extract(month FROM b))
                        - (extract(year FROM a) * 12 + extract(month FROM a)))::bigint
    WHEN 'quarter' THEN ((extract(year FROM b) * 4 + extract(quarter FROM b))
                         - (extract(year FROM a) * 4 + extract(quarter FROM a)))::bigint
    WHEN 'year' THEN (extract(year FROM b) - extract(year FROM a))::bigint
    WHEN 'years' THEN (extract(year FROM b) - extract(year FROM a))::bigint
    WHEN 'hour' THEN div((extract(epoch FROM date_trunc('hour', b)) - extract(epoch FROM date_trunc('hour', a)))::numeric, 3600)::bigint
    WHEN 'minute' THEN div((extract(epoch FROM date_trunc('minute', b)) - extract(epoch FROM date_trunc('minute', a)))::numeric, 60)::bigint
    WHEN 'second' THEN (extract(epoch FROM date_trunc('second', b)) - extract(epoch FROM date_trunc('second', a)))::bigint
  END $$;
CREATE OR REPLACE FUNCTION duckdb_compat.datediff(part text, a timestamp, b timestamp) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT duckdb_compat.date_diff(part, a, b) $$;

-- lists
CREATE OR REPLACE FUNCTION duckdb_compat.list_contains(l anycompatiblearray, x anycompatible) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT x = ANY(l) $$;
CREATE OR REPLACE FUNCTION duckdb_compat.list_has(l anycompatiblearray, x anycompatible) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT x = ANY(l) $$;
CREATE OR REPLACE FUNCTION duckdb_compat.array_contains(l anycompatiblearray, x anycompatible) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT x = ANY(l) $$;
CREATE OR REPLACE FUNCTION duckdb_compat.list_has_any(a anycompatiblearray, b anycompatiblearray) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT a && b $$;
CREATE OR REPLACE FUNCTION duckdb_compat.list_has_all(a anycompatiblearray, b anycompatiblearray) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT a @> b $$;
CREATE OR REPLACE FUNCTION duckdb_compat.len(l anyarray) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT cardinality(l)::bigint $$;
CREATE OR REPLACE FUNCTION duckdb_compat.len(s text) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT length(s)::bigint $$;
CREATE OR REPLACE FUNCTION duckdb_compat.array_length(l anyarray) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT cardinality(l)::bigint $$;
CREATE OR REPLACE AGGREGATE duckdb_compat.list(anycompatible) (SFUNC = array_append, STYPE = anycompatiblearray);

-- range(n) / range(a, b): the table function 0 … n-1 (a … b-1)
CREATE OR REPLACE FUNCTION duckdb_compat.range(n bigint) RETURNS SETOF bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT generate_series(0::bigint, n - 1) $$;
CREATE OR REPLACE FUNCTION duckdb_compat.range(a bigint, b bigint) RETURNS SETOF bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT generate_series(a, b - 1) $$;

-- first(x) / any_value(x): a value of the group (the first that is not NULL)
CREATE OR REPLACE FUNCTION duckdb_compat._first_step(s anycompatible, v anycompatible) RETURNS anycompatible
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT coalesce(s, v) $$;
CREATE OR REPLACE AGGREGATE duckdb_compat.first(anycompatible) (SFUNC = duckdb_compat._first_step, STYPE = anycompatible);
CREATE OR REPLACE AGGREGATE duckdb_compat.any_value(anycompatible) (SFUNC = duckdb_compat._first_step, STYPE = anycompatible);

-- median (a double, as DuckDB's median of numbers), also as a window aggregate
CREATE OR REPLACE FUNCTION duckdb_compat._median_final(v double precision[]) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM unnest(v) x $$;
CREATE OR REPLACE AGGREGATE duckdb_compat.median(double precision) (
    SFUNC = array_append, STYPE = double precision[], FINALFUNC = duckdb_compat._median_final, INITCOND = '{}');

-- arg_max(value, key) / arg_min(value, key): the value of the row with the largest / smallest key (rows whose key
-- is NULL are ignored). The state keeps both as jsonb (jsonb orders numbers as numbers; dates and times in their
-- ISO text sort in time order); the final function turns the value back into its own type.
CREATE OR REPLACE FUNCTION duckdb_compat._arg_step(s jsonb, v anyelement, k anycompatible, larger boolean) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN k IS NULL THEN s
              WHEN s IS NULL OR (larger AND to_jsonb(k) > s -> 'k') OR (NOT larger AND to_jsonb(k) < s -> 'k')
              THEN jsonb_build_object('k', to_jsonb(k), 'v', to_jsonb(v))
              ELSE s END $$;
CREATE OR REPLACE FUNCTION duckdb_compat._arg_max_step(s jsonb, v anyelement, k anycompatible) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT duckdb_compat._arg_step(s, v, k, true) $$;
CREATE OR REPLACE FUNCTION duckdb_compat._arg_min_step(s jsonb, v anyelement, k anycompatible) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT duckdb_compat._arg_step(s, v, k, false) $$;
CREATE OR REPLACE FUNCTION duckdb_compat._arg_final(s jsonb, v anyelement, k anycompatible) RETURNS anyelement
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE r v%TYPE;
BEGIN
  IF s IS NULL OR jsonb_typeof(s -> 'v') = 'null' THEN RETURN NULL; END IF;
  IF jsonb_typeof(s -> 'v') = 'array' THEN
    SELECT array_agg(e) INTO r FROM jsonb_array_elements_text(s -> 'v') e;
  ELSE
    r := s ->> 'v';
  END IF;
  RETURN r;
END $$;
CREATE OR REPLACE AGGREGATE duckdb_compat.arg_max(anyelement, anycompatible) (
    SFUNC = duckdb_compat._arg_max_step, STYPE = jsonb, FINALFUNC = duckdb_compat._arg_final, FINALFUNC_EXTRA);
CREATE OR REPLACE AGGREGATE duckdb_compat.arg_min(anyelement, anycompatible) (
    SFUNC = duckdb_compat._arg_min_step, STYPE = jsonb, FINALFUNC = duckdb_compat._arg_final, FINALFUNC_EXTRA);
CREATE OR REPLACE AGGREGATE duckdb_compat.max_by(anyelement, anycompatible) (
    SFUNC = duckdb_compat._arg_max_step, STYPE = jsonb, FINALFUNC = duckdb_compat._arg_final, FINALFUNC_EXTRA);
CREATE OR REPLACE AGGREGATE duckdb_compat.min_by(anyelement, anycompatible) (
    SFUNC = duckdb_compat._arg_min_step, STYPE = jsonb, FINALFUNC = duckdb_compat._arg_final, FINALFUNC_EXTRA);

-- dates
CREATE OR REPLACE FUNCTION duckdb_compat.year(d timestamp) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT extract(year FROM d)::bigint $$;
CREATE OR REPLACE FUNCTION duckdb_compat.month(d timestamp) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT extract(month FROM d)::bigint $$;
CREATE OR REPLACE FUNCTION duckdb_compat.day(d timestamp) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT extract(day FROM d)::bigint $$;
CREATE OR REPLACE FUNCTION duckdb_compat.quarter(d timestamp) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT extract(quarter FROM d)::bigint $$;
CREATE OR REPLACE FUNCTION duckdb_compat.today() RETURNS date
LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT current_date $$;
-- strftime(value, '%Y-%m-%d %H:%M:%S'): the conversions core uses
CREATE OR REPLACE FUNCTION duckdb_compat.strftime(d timestamp, fmt text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT to_char(d, replace(replace(replace(replace(replace(replace(replace(replace(fmt,
         '%Y', 'YYYY'), '%m', 'MM'), '%d', 'DD'), '%H', 'HH24'), '%M', 'MI'), '%S', 'SS'), '%y', 'YY'), '%%', '%')) $$;

-- round(double, n) is a double in DuckDB; PostgreSQL has round(numeric, n) only
CREATE OR REPLACE FUNCTION duckdb_compat.round(x double precision, n integer) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT round(x::numeric, n)::double precision $$;

-- text
CREATE OR REPLACE FUNCTION duckdb_compat.regexp_matches(s text, pattern text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT s ~ pattern $$;
CREATE OR REPLACE FUNCTION duckdb_compat.contains(s text, part text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT strpos(s, part) > 0 $$;
CREATE OR REPLACE FUNCTION duckdb_compat.prefix(s text, part text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT starts_with(s, part) $$;

-- the / of two integers is a fraction (a double), as in DuckDB; by zero: NULL, as in DuckDB
DO $$
DECLARE l text; r text;
BEGIN
  FOREACH l IN ARRAY ARRAY['smallint', 'integer', 'bigint'] LOOP
    FOREACH r IN ARRAY ARRAY['smallint', 'integer', 'bigint'] LOOP
      EXECUTE format('CREATE OR REPLACE FUNCTION duckdb_compat.int_div(a %s, b %s) RETURNS double precision'
                     ' LANGUAGE sql IMMUTABLE PARALLEL SAFE AS ''SELECT CASE WHEN b = 0 THEN NULL'
                     ' ELSE a::double precision / b::double precision END''', l, r);
      IF NOT EXISTS (SELECT 1 FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace
                     WHERE n.nspname = 'duckdb_compat' AND o.oprname = '/'
                       AND o.oprleft = l::regtype AND o.oprright = r::regtype) THEN
        EXECUTE format('CREATE OPERATOR duckdb_compat./ (LEFTARG = %s, RIGHTARG = %s, FUNCTION = duckdb_compat.int_div)', l, r);
      END IF;
    END LOOP;
  END LOOP;
END $$;
