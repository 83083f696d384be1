{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key=['message_hash', 'indicator_code', 'warning_code'],
        on_schema_change='fail',
        indexes=[{'columns': ['period_month']}],
        pre_hook="{{ record_loaded_through() }}",
        incremental_predicates=["DBT_INTERNAL_DEST.period_month >= " ~ rebuilt_from('marts.fct_value_warnings')]
    )
}}

-- Value warnings (outliers, jumps, a report identical to last month's) on accepted reports, with the
-- report's unit, period, receipt time and whether it is the report whose values count. Warnings never
-- change a submission's state nor its deadline status. Incremental with the same window as the other facts:
-- warnings are stored in the transaction that loads their report, so a new warning always comes with a
-- submission loaded since the last run.
-- The window's warnings are read through their primary key (the window's messages as an array), so a month reads
-- the window's raw rows, not the whole history.
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

value_warnings as (

    select * from {{ ref('stg_value_warnings') }}
    {% if is_incremental() -%}
        where message_hash = any(array(select submission_versions.message_hash from submission_versions))
    {%- endif %}

),

final as (

    select
        value_warnings.message_hash,
        value_warnings.indicator_code,
        value_warnings.warning_code,
        submission_versions.unit_code,
        submission_versions.period_month,
        value_warnings.value,
        value_warnings.expected_low,
        value_warnings.expected_high,
        value_warnings.message_vi,
        value_warnings.message_en,
        submission_versions.received_at,
        submission_versions.version_number,
        submission_versions.is_effective,
        value_warnings.created_at,
        submission_versions.period_loaded_at as source_loaded_at

    from value_warnings
    inner join submission_versions
        on value_warnings.message_hash = submission_versions.message_hash

)

select * from final
