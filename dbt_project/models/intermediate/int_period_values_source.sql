-- Per (unit, period) with an effective submission: which report's values hold for the period. A report
-- holds its own values; a "same as" notice carries the values of the previous month, which may itself be a
-- notice: the chain is followed back, without recursion, to the latest report of the unit, provided every
-- month in between has an effective submission (an unbroken chain). A broken chain carries nothing.

with

submission_versions as (

    select * from {{ ref('int_submission_versions') }}

),

effective_submissions as (

    select
        unit_code,
        period_month,
        message_hash,
        submission_kind,
        received_at,
        version_number,
        version_count,
        period_loaded_at

    from submission_versions
    where is_effective

),

sequenced as (

    select
        *,
        row_number() over (partition by unit_code order by period_month) as period_sequence

    from effective_submissions

),

anchored as (

    select
        *,
        max(case when submission_kind = 'report' then period_month end) over (
            partition by unit_code order by period_month rows between unbounded preceding and current row
        ) as anchor_period_month,
        max(case when submission_kind = 'report' then period_sequence end) over (
            partition by unit_code order by period_month rows between unbounded preceding and current row
        ) as anchor_sequence

    from sequenced

),

resolved as (

    select
        anchored.unit_code,
        anchored.period_month,
        anchored.message_hash as effective_message_hash,
        anchored.submission_kind,
        anchored.received_at,
        anchored.period_loaded_at,
        anchor_reports.message_hash as value_message_hash,
        anchored.anchor_period_month as value_period_month,
        cast(anchored.version_count - 1 as integer) as superseded_versions,
        cast(
            case
                when anchored.submission_kind = 'same_as_notice' then 'same_as_notice'
                when anchored.version_number > 1 then 'correction'
                else 'report'
            end as text
        ) as value_source,
        -- months between the anchor report and this period = effective periods between them: unbroken
        anchored.period_sequence - anchored.anchor_sequence = (
            extract(year from age(anchored.period_month, anchored.anchor_period_month)) * 12
            + extract(month from age(anchored.period_month, anchored.anchor_period_month))
        ) as is_chain_unbroken

    from anchored
    left join effective_submissions as anchor_reports
        on
            anchored.unit_code = anchor_reports.unit_code
            and anchored.anchor_period_month = anchor_reports.period_month

),

final as (

    select
        unit_code,
        period_month,
        effective_message_hash,
        submission_kind,
        received_at,
        value_message_hash,
        value_period_month,
        value_source,
        superseded_versions,
        period_loaded_at

    from resolved
    where coalesce(is_chain_unbroken, false)

)

select * from final
