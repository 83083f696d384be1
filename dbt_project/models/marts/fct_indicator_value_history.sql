{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key=['message_hash', 'indicator_code'],
        on_schema_change='fail',
        indexes=[{'columns': ['period_month']}],
        pre_hook="{{ record_loaded_through() }}",
        incremental_predicates=["DBT_INTERNAL_DEST.period_month >= " ~ rebuilt_from('marts.fct_indicator_value_history')]
    )
}}

-- The audit trail of values: every value of every accepted report, with the report's version for the unit
-- and period, whether it is the effective one and what the previous report of the period said.
-- Incremental: rebuilds the periods from macro incremental_cutoff on (a period's versions are compared within the
-- period only, so the window filters the versions before they are compared), reading the raw values of those
-- periods' reports only.
-- The merge compares the rows of the periods rebuilt only (incremental_predicates: from the rebuilt_from its pre-hook
-- records, never after the window's first period), found through the period_month index, not the whole fact.
-- depends_on: {{ ref('stg_submissions') }}

with

submission_versions as (

    select * from {{ ref('int_submission_versions') }}
    {% if is_incremental() -%}
        where period_month >= {{ incremental_cutoff('source_loaded_at') }}
    {%- endif %}

),

submission_values as (

    select * from {{ ref('stg_submission_values') }}

),

report_values as (

    select
        submission_versions.message_hash,
        message_values.indicator_code,
        submission_versions.unit_code,
        submission_versions.period_month,
        submission_versions.version_number,
        submission_versions.received_at,
        message_values.value_number,
        submission_versions.is_effective,
        submission_versions.period_loaded_at as source_loaded_at,
        nullif(trim(message_values.value_text), '') as value_text,
        lag(message_values.value_number) over (
            partition by
                submission_versions.unit_code,
                submission_versions.period_month,
                message_values.indicator_code
            order by submission_versions.version_number
        ) as previous_value_number,
        row_number() over (
            partition by
                submission_versions.unit_code,
                submission_versions.period_month,
                message_values.indicator_code
            order by submission_versions.version_number
        ) as report_sequence

    from submission_versions
    -- a monthly build reads the raw values of the messages it rebuilds through the primary key, message by message:
    -- `offset 0` keeps the lateral subquery a nested loop over the index (pulled up into a plain join, the planner
    -- hashed every raw value of the history); a full refresh joins as usual
    cross join
        lateral (
            select
                submission_values.indicator_code,
                submission_values.value_number,
                submission_values.value_text
            from submission_values
            where submission_values.message_hash = submission_versions.message_hash
            {% if is_incremental() -%}
                offset 0  -- noqa: AM09
            {%- endif %}
        ) as message_values
    where submission_versions.submission_kind = 'report'

),

final as (

    select
        message_hash,
        indicator_code,
        unit_code,
        period_month,
        version_number,
        received_at,
        value_number,
        value_text,
        previous_value_number,
        is_effective,
        source_loaded_at,
        (
            report_sequence > 1
            and (previous_value_number is distinct from value_number)
        ) as is_changed

    from report_values

)

select * from final
