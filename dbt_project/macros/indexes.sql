{#
    dbt creates a model's configured `indexes` only when it creates the table: an incremental table made before an
    index was added to its config would go without it until a full refresh, and its month's build would scan what
    the index was meant to spare. Post-hook of every model (dbt_project.yml): on an incremental build, each
    configured index whose columns (in order) no index of the table has is created, under dbt's own naming.
#}
{% macro ensure_indexes() -%}
    {%- set wanted = config.get('indexes') or [] -%}
    {%- if execute and wanted and config.get('materialized') == 'incremental' -%}
        {%- set existing = run_query(indexed_columns_sql(this)).columns[0].values() -%}
        {%- for index in wanted if index['columns'] | join(',') not in existing %}
            {{ get_create_index_sql(this, index) }};
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{# One row per index of `relation`: its key columns, comma-separated in index order. #}
{% macro indexed_columns_sql(relation) -%}
    select string_agg(columns.attname, ',' order by keys.position)
    from pg_index as indexes
    cross join lateral unnest(cast(indexes.indkey as int2[])) with ordinality as keys (attnum, position)
    inner join pg_attribute as columns
        on indexes.indrelid = columns.attrelid and keys.attnum = columns.attnum
    where indexes.indrelid = to_regclass('{{ relation.include(database=False) }}')
    group by indexes.indexrelid
{%- endmacro %}
