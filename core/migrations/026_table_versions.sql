-- 026: 数据版本 — how many committed writes each table has had, for the caches of several app servers on one
-- PostgreSQL database: the write path (core/platform/pg.py) bumps the rows of the tables a transaction wrote inside
-- that transaction, and every server reads the table once per page run and recomputes the cached figures of the
-- tables that moved (core/platform/cache.py). A DuckDB file has one process, whose caches see its writes at once:
-- the table exists there too (the same schema on both engines) and stays empty.
CREATE TABLE IF NOT EXISTS table_versions (
    table_name VARCHAR PRIMARY KEY,
    version BIGINT NOT NULL DEFAULT 0
);
