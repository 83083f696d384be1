-- One row per (unit, closed period) where the unit exists on the period's first day: the reports owed.
-- Same rule as ingestion/registry.py (ReportingUnit.is_valid_on): valid_from inclusive, valid_to exclusive.

with

period_closures as (

    select * from {{ ref('stg_period_closures') }}

),

reporting_units as (

    select * from {{ ref('stg_reporting_units') }}

),

expected_reports as (

    select
        reporting_units.unit_code,
        reporting_units.unit_name_vi as unit_name,
        reporting_units.unit_type,
        period_closures.period_month,
        {{ deadline_utc('period_closures.period_month') }} as deadline_at

    from period_closures
    inner join reporting_units
        on
            period_closures.period_month >= reporting_units.valid_from
            and (
                reporting_units.valid_to is null
                or period_closures.period_month < reporting_units.valid_to
            )

    where period_closures.period_month >= cast('{{ var("first_period") }}' as date)

)

select * from expected_reports
