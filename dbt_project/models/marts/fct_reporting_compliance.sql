-- Indexed by period (the close's alert and briefing read one period); the pre-hook records which periods this
-- build may have changed (macros/incremental.sql), which the warehouse checks after the build read.
{{ config(indexes=[{'columns': ['period_month']}], pre_hook="{{ record_changed_periods() }}") }}
-- depends_on: {{ ref('stg_submissions') }}, {{ ref('stg_messages') }}, {{ ref('stg_period_closures') }}

-- One row per expected (unit, closed period): on time, late or missing, judged on the FIRST accepted
-- submission's receipt time against the period's deadline (macros deadline_utc and days_late).

with

expected_reports as (

    select * from {{ ref('int_expected_reports') }}

),

first_submissions as (

    select * from {{ ref('int_first_submissions') }}

),

compliance as (

    select
        expected_reports.unit_code,
        expected_reports.unit_name,
        expected_reports.unit_type,
        expected_reports.period_month,
        expected_reports.deadline_at,
        cast(
            case
                when first_submissions.received_at is null then 'missing'
                when first_submissions.received_at < expected_reports.deadline_at then 'on_time'
                else 'late'
            end as text
        ) as status,
        first_submissions.submission_kind,
        first_submissions.received_at,
        {{ days_late('first_submissions.received_at', 'expected_reports.deadline_at') }} as days_late,
        coalesce(first_submissions.attempts, 0) as attempts,
        coalesce(first_submissions.rejections, 0) as rejections

    from expected_reports
    left join first_submissions
        on
            expected_reports.unit_code = first_submissions.unit_code
            and expected_reports.period_month = first_submissions.period_month

)

select * from compliance
