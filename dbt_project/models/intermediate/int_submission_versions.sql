{{
    config(**period_replacement(
        'intermediate.int_submission_versions',
        pre_hook="{{ record_loaded_through('period_loaded_at') }}"
    ))
}}

-- Every accepted submission with its version among the unit's submissions for the period (by received_at,
-- then message hash): version 1 is the one timeliness follows; the latest REPORT is the one whose values
-- count (a unit with notices only: the latest notice). Provenance from the message ledger.
-- Incremental: a period's versions depend on that period's submissions only, so a month replaces the periods from
-- macro incremental_cutoff on (lookback + late loads), each whole; the delete reads those periods only. The window's
-- messages are read through their primary key (as an array), not by scanning the ledger.
-- depends_on: {{ ref('stg_submissions') }}

with

submissions as (

    select * from {{ ref('stg_submissions') }}
    {% if is_incremental() -%}
        where period_month >= {{ incremental_cutoff('period_loaded_at') }}
    {%- endif %}

),

messages as (

    select * from {{ ref('stg_messages') }}
    {% if is_incremental() -%}
        where message_hash = any(array(select submissions.message_hash from submissions))
    {%- endif %}

),

versioned as (

    select
        submissions.message_hash,
        submissions.unit_code,
        submissions.period_month,
        submissions.submission_kind,
        submissions.received_at,
        submissions.loaded_at,
        submissions.attachment_filename,
        submissions.same_as_period,
        messages.sender_address,
        messages.subject,
        messages.archive_path,
        {{ deadline_utc('submissions.period_month') }} as deadline_at,
        cast(row_number() over (
            partition by submissions.unit_code, submissions.period_month
            order by submissions.received_at asc, submissions.message_hash asc
        ) as integer) as version_number,
        cast(count(*) over (
            partition by submissions.unit_code, submissions.period_month
        ) as integer) as version_count,
        -- reports before notices, then the latest first: rank 1 is effective for values
        row_number() over (
            partition by submissions.unit_code, submissions.period_month
            order by
                case when submissions.submission_kind = 'report' then 0 else 1 end asc,
                submissions.received_at desc,
                submissions.message_hash desc
        ) as effective_rank,
        max(submissions.loaded_at) over (
            partition by submissions.unit_code, submissions.period_month
        ) as period_loaded_at

    from submissions
    left join messages
        on submissions.message_hash = messages.message_hash

),

final as (

    select
        message_hash,
        unit_code,
        period_month,
        submission_kind,
        received_at,
        deadline_at,
        version_number,
        version_count,
        attachment_filename,
        same_as_period,
        sender_address,
        subject,
        archive_path,
        loaded_at,
        period_loaded_at,
        version_number = 1 as is_first,
        effective_rank = 1 as is_effective,
        received_at < deadline_at as is_received_on_time

    from versioned

)

select * from final
