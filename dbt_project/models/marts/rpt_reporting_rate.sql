{{
    config(**period_replacement(
        'marts.rpt_reporting_rate',
        pre_hook="{{ record_derived_periods('marts.fct_reporting_compliance') }}"
    ))
}}

-- DHIS2-style reporting rates per closed period: one row per (period, unit type) and one row per period
-- with unit_type 'all' (grouping sets over fct_reporting_compliance).
-- Incremental: a month rebuilds the periods fct_reporting_compliance rewrote (macro derived_cutoff), each period
-- whole (a period's rates count that period's rows only).

with

compliance as (

    select * from {{ ref('fct_reporting_compliance') }}
    {% if is_incremental() -%}
        where period_month >= {{ derived_cutoff('marts.fct_reporting_compliance') }}
    {%- endif %}

),

counted as (

    select
        period_month,
        cast(count(unit_code) as integer) as expected_reports,
        cast(count(unit_code) filter (where status <> 'missing') as integer) as actual_reports,
        cast(count(unit_code) filter (where status = 'on_time') as integer) as reports_on_time,
        cast(count(unit_code) filter (where status = 'late') as integer) as reports_late,
        cast(count(unit_code) filter (where status = 'missing') as integer) as reports_missing,
        coalesce(unit_type, 'all') as unit_type

    from compliance
    group by grouping sets ((period_month, unit_type), (period_month))

),

final as (

    select
        period_month,
        unit_type,
        expected_reports,
        actual_reports,
        reports_on_time,
        reports_late,
        reports_missing,
        cast(
            round(cast(actual_reports as numeric) / nullif(expected_reports, 0), 4) as numeric(5, 4)
        ) as reporting_rate,
        cast(
            round(cast(reports_on_time as numeric) / nullif(expected_reports, 0), 4) as numeric(5, 4)
        ) as reporting_rate_on_time

    from counted

)

select * from final
