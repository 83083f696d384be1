{{
    config(**period_replacement(
        'intermediate.int_first_submissions',
        pre_hook="{{ record_changed_periods() }}"
    ))
}}

-- Per (unit, period) with any attributed activity: the FIRST accepted submission (version 1 of
-- int_submission_versions, the one timeliness follows; later ones are corrections), how many were accepted
-- (attempts) and how many messages were quarantined (rejections). Units with rejections only have a row with
-- a null submission.
-- Incremental: a month replaces, each whole, the periods of the submissions loaded and the messages decided since
-- the last build, and the latest period (macro changed_periods_cutoff).
-- depends_on: {{ ref('stg_submissions') }}, {{ ref('stg_period_closures') }}

{% set cutoff = changed_periods_cutoff() if is_incremental() else none %}

with

submission_versions as (

    select * from {{ ref('int_submission_versions') }}
    {% if cutoff -%}
        where period_month >= {{ cutoff }}
    {%- endif %}

),

messages as (

    select * from {{ ref('stg_messages') }}
    {% if cutoff -%}
        where period_month >= {{ cutoff }}
    {%- endif %}

),

first_submissions as (

    select
        unit_code,
        period_month,
        message_hash,
        submission_kind,
        received_at,
        version_count

    from submission_versions
    where is_first

),

rejections as (

    select
        unit_code,
        period_month,
        count(*) as rejected_count

    from messages
    where
        message_state = 'quarantined'
        and unit_code is not null
        and period_month is not null
    group by unit_code, period_month

),

-- every (unit, period) with an accepted submission or a rejection
activity as (

    select
        unit_code,
        period_month
    from first_submissions

    union

    select
        unit_code,
        period_month
    from rejections

),

joined as (

    select
        activity.unit_code,
        activity.period_month,
        first_submissions.message_hash,
        first_submissions.submission_kind,
        first_submissions.received_at,
        cast(coalesce(first_submissions.version_count, 0) as integer) as attempts,
        cast(coalesce(rejections.rejected_count, 0) as integer) as rejections

    from activity
    left join first_submissions
        on
            activity.unit_code = first_submissions.unit_code
            and activity.period_month = first_submissions.period_month
    left join rejections
        on
            activity.unit_code = rejections.unit_code
            and activity.period_month = rejections.period_month

)

select * from joined
