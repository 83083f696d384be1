-- The warehouse database and its three roles, run once by PostgreSQL's docker-entrypoint (10-warehouse.sh) and by
-- the stack test (tests/stack) against its own server. Passwords arrive as psql variables, never in this file.
--   itreport_loader  intake and the tasks: owns schema raw (ledger, submissions, replies, alerts, outbox), reads marts
--                    and dbt's record of what each monthly build rewrote (intermediate.dbt_incremental_state)
--   itreport_dbt     dbt build: reads raw, owns staging, intermediate, reference and marts, grants marts to bi_reader
--   bi_reader        BI tools (Superset): schema marts only, read-only
\set ON_ERROR_STOP on

select format('create role itreport_loader login password %L', :'loader_password')
where not exists (select 1 from pg_roles where rolname = 'itreport_loader') \gexec
select format('create role itreport_dbt login password %L', :'dbt_password')
where not exists (select 1 from pg_roles where rolname = 'itreport_dbt') \gexec
select format('create role bi_reader login nosuperuser nocreatedb nocreaterole noinherit password %L', :'bi_reader_password')
where not exists (select 1 from pg_roles where rolname = 'bi_reader') \gexec

select 'create database ' || :'warehouse_db' || ' owner itreport_dbt'
where not exists (select 1 from pg_database where datname = :'warehouse_db') \gexec

\connect :warehouse_db

revoke all on database :warehouse_db from public;
grant connect on database :warehouse_db to itreport_loader, itreport_dbt, bi_reader;
-- intake runs `create schema if not exists raw`, which PostgreSQL checks against CREATE on the database first
grant create on database :warehouse_db to itreport_loader;
revoke create on schema public from public;

-- raw: written by the loader only; dbt reads every table the loader creates there, now and later.
create schema if not exists raw authorization itreport_loader;
grant usage on schema raw to itreport_dbt;
alter default privileges for role itreport_loader in schema raw grant select on tables to itreport_dbt;

-- marts: built by dbt; bi_reader gets USAGE here and SELECT per mart from dbt's `grants` config. The loader reads
-- the marts for the compliance alert and the warehouse checks through membership of bi_reader.
create schema if not exists marts authorization itreport_dbt;
grant usage on schema marts to bi_reader;
alter default privileges for role itreport_dbt in schema marts grant select on tables to bi_reader;
grant bi_reader to itreport_loader;
