{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key=['unit_code', 'period_month', 'indicator_code'],
        on_schema_change='fail',
        indexes=[{'columns': ['period_month']}],
        pre_hook="{{ record_loaded_through() }}",
        incremental_predicates=["DBT_INTERNAL_DEST.period_month >= " ~ rebuilt_from('marts.fct_indicator_values')]
    )
}}

-- unit × period × catalogue indicator: the value effective for the period (latest accepted report; a
-- "same as" notice carries the previous month's values, chains resolved in int_period_values_source).
-- Incremental: rebuilds every period from macro incremental_cutoff on, because a correction changes the
-- months whose notices carry it. warning_count: the value warnings on the effective submission for the indicator
-- or the whole report (indicator '*'); stored with the report, so they follow the same window.
-- The window's values and warnings are read through their primary keys (the window's messages as an array), so a
-- month reads the window's raw rows, not the whole history.
-- The merge compares the rows of the periods rebuilt only (incremental_predicates: from the rebuilt_from its pre-hook
-- records, never after the window's first period), found through the period_month index, not the whole fact.
-- depends_on: {{ ref('stg_submissions') }}

with

period_values_source as (

    select * from {{ ref('int_period_values_source') }}
    {% if is_incremental() -%}
        where period_month >= {{ incremental_cutoff('source_loaded_at') }}
    {%- endif %}

),

indicators as (

    select * from {{ ref('stg_indicators') }}

),

submission_values as (

    select * from {{ ref('stg_submission_values') }}
    {% if is_incremental() -%}
        where message_hash = any(array(select period_values_source.value_message_hash from period_values_source))
    {%- endif %}

),

value_warnings as (

    select * from {{ ref('stg_value_warnings') }}
    {% if is_incremental() -%}
        where message_hash = any(array(select period_values_source.effective_message_hash from period_values_source))
    {%- endif %}

),

indicator_warnings as (

    select
        message_hash,
        indicator_code,
        count(*) as warning_count

    from value_warnings
    where indicator_code <> '*'
    group by message_hash, indicator_code

),

report_warnings as (

    select
        message_hash,
        count(*) as warning_count

    from value_warnings
    where indicator_code = '*'
    group by message_hash

),

final as (

    select
        period_values_source.unit_code,
        period_values_source.period_month,
        indicators.indicator_code,
        indicators.group_code,
        indicators.value_type,
        submission_values.value_number,
        period_values_source.value_source,
        period_values_source.submission_kind,
        period_values_source.effective_message_hash,
        period_values_source.value_message_hash,
        period_values_source.value_period_month,
        period_values_source.superseded_versions,
        period_values_source.received_at,
        period_values_source.period_loaded_at as source_loaded_at,
        cast(
            coalesce(indicator_warnings.warning_count, 0) + coalesce(report_warnings.warning_count, 0) as integer
        ) as warning_count,
        nullif(trim(submission_values.value_text), '') as value_text

    from period_values_source
    cross join indicators
    left join submission_values
        on
            period_values_source.value_message_hash = submission_values.message_hash
            and indicators.indicator_code = submission_values.indicator_code
    left join indicator_warnings
        on
            period_values_source.effective_message_hash = indicator_warnings.message_hash
            and indicators.indicator_code = indicator_warnings.indicator_code
    left join report_warnings
        on period_values_source.effective_message_hash = report_warnings.message_hash

)

select * from final
