{#
    An incremental table built whole (its first build, or a full refresh: a new table) has no planner statistics
    until autovacuum analyzes it, perhaps minutes later, and a later build's changes (a few periods) never reach
    autovacuum's threshold again. Without them PostgreSQL guesses a third of the rows for every range filter, so
    a month's build, the checks after it and BI queries on its periods read the whole history instead of using
    the period_month index. Post-hook of every model (dbt_project.yml): an incremental table without statistics
    is analyzed; the monthly builds after it, which find them, skip it.
#}
{% macro analyze_when_unanalyzed() -%}
    {%- if config.get('materialized') == 'incremental' -%}
        do $analyze$
        begin
            if not exists (
                select 1 from pg_catalog.pg_stats
                where schemaname = '{{ this.schema }}' and tablename = '{{ this.identifier }}'
            ) then
                execute 'analyze {{ this }}';
            end if;
        end
        $analyze$
    {%- endif -%}
{%- endmacro %}
