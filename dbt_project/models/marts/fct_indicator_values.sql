{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key=['unit_code', 'period_month', 'indicator_code'],
        on_schema_change='fail'
    )
}}

-- unit × period × catalogue indicator: the value effective for the period (latest accepted report; a
-- "same as" notice carries the previous month's values, chains resolved in int_period_values_source).
-- Incremental: rebuilds every period from macro incremental_cutoff on, because a correction changes the
-- months whose notices carry it.
-- depends_on: {{ ref('stg_submissions') }}

with

period_values_source as (

    select * from {{ ref('int_period_values_source') }}

),

indicators as (

    select * from {{ ref('stg_indicators') }}

),

submission_values as (

    select * from {{ ref('stg_submission_values') }}

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
        nullif(trim(submission_values.value_text), '') as value_text

    from period_values_source
    cross join indicators
    left join submission_values
        on
            period_values_source.value_message_hash = submission_values.message_hash
            and indicators.indicator_code = submission_values.indicator_code

    {% if is_incremental() -%}
        where period_values_source.period_month >= {{ incremental_cutoff('source_loaded_at') }}
    {%- endif %}

)

select * from final
