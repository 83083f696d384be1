{#
    The read-only role for BI tools (on-run-start hook): created with LOGIN when missing, given USAGE on
    schema marts only (on a production server where the dbt user may not create roles, a DBA creates it
    once). Table-level SELECT comes from the `grants` config of the marts, so every rebuilt
    mart is granted again; raw, staging, intermediate and reference are never granted.
#}
{% macro ensure_bi_reader_role(role='bi_reader') -%}
    do $bi_reader$
    begin
        if not exists (select 1 from pg_catalog.pg_roles where rolname = '{{ role }}') then
            create role {{ role }} with login nosuperuser nocreatedb nocreaterole noinherit;
        end if;
    exception
        -- production: a dbt user without CREATEROLE; a DBA creates the role once (same statement)
        when insufficient_privilege then
            raise notice 'role {{ role }} is missing and cannot be created by %', current_user;
    end
    $bi_reader$;
    create schema if not exists marts;
    grant usage on schema marts to {{ role }};
{%- endmacro %}
