{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key='message_hash',
        on_schema_change='fail',
        indexes=[{'columns': ['period_month']}],
        pre_hook="{{ record_loaded_through() }}",
        incremental_predicates=["DBT_INTERNAL_DEST.period_month >= " ~ rebuilt_from('marts.fct_submissions')]
    )
}}

-- Every accepted report and notice with its version per (unit, period) and its provenance. Incremental:
-- rebuilds the periods from macro incremental_cutoff on (lookback + late loads), merging on message_hash.
-- The merge compares the rows of the periods rebuilt only (incremental_predicates: from the rebuilt_from its pre-hook
-- records, never after the window's first period), found through the period_month index, not the whole fact.
-- depends_on: {{ ref('stg_submissions') }}

with

submission_versions as (

    select * from {{ ref('int_submission_versions') }}

),

final as (

    select
        message_hash,
        unit_code,
        period_month,
        submission_kind,
        received_at,
        deadline_at,
        is_received_on_time,
        version_number,
        version_count,
        is_first,
        is_effective,
        attachment_filename,
        same_as_period,
        sender_address,
        archive_path,
        loaded_at,
        period_loaded_at as source_loaded_at

    from submission_versions

    {% if is_incremental() -%}
        where period_month >= {{ incremental_cutoff('source_loaded_at') }}
    {%- endif %}

)

select * from final
