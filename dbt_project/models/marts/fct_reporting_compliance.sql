{{
    config(**period_replacement(
        'marts.fct_reporting_compliance',
        pre_hook="{{ record_changed_periods(reads_registry=true) }}"
    ))
}}
-- depends_on: {{ ref('stg_submissions') }}, {{ ref('stg_messages') }}, {{ ref('stg_period_closures') }}

-- One row per expected (unit, closed period): on time, late or missing, judged on the FIRST accepted
-- submission's receipt time against the period's deadline (macros deadline_utc and days_late).
-- Indexed by period (the close's alert and briefing read one period). Incremental: a month replaces, each whole,
-- the periods of the submissions loaded, the messages decided and the periods closed since the last build, and
-- the latest closed period (macro changed_periods_cutoff); every period when the release loaded new seeds (the
-- registry decides which units owe a period). The checks after the build read the periods replaced.

{% set cutoff = changed_periods_cutoff(reads_registry=true) if is_incremental() else none %}

with

expected_reports as (

    select * from {{ ref('int_expected_reports') }}
    {% if cutoff -%}
        where period_month >= {{ cutoff }}
    {%- endif %}

),

first_submissions as (

    select * from {{ ref('int_first_submissions') }}
    {% if cutoff -%}
        where period_month >= {{ cutoff }}
    {%- endif %}

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
