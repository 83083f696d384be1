{{ config(**year_replacement('target_year')) }}

-- Quyết định 48/2009/QĐ-TTg targets per unit type against each unit's year-end value: one row per
-- (unit expected in at least one closed period of the target year, target indicator, target year).
-- Incremental: a month rebuilds the target years from macro derived_first_year on, each year whole.
-- depends_on: {{ ref('stg_submissions') }} {{ ref('stg_period_closures') }}
{%- set first_year = derived_first_year() | trim %}

with

targets as (

    select * from {{ ref('stg_indicator_targets') }}
    {% if is_incremental() -%}
        where target_year >= {{ first_year }}
    {%- endif %}

),

expected_reports as (

    select * from {{ ref('int_expected_reports') }}
    {% if is_incremental() -%}
        where period_month >= make_date({{ first_year }}, 1, 1)
    {%- endif %}

),

year_end_values as (

    select * from {{ ref('int_year_end_values') }}
    {% if is_incremental() -%}
        where value_year >= {{ first_year }}
    {%- endif %}

),

unit_years as (

    select distinct
        unit_code,
        unit_name,
        unit_type,
        cast(extract(year from period_month) as integer) as expected_year

    from expected_reports

),

units_in_target_years as (

    select
        unit_years.unit_code,
        unit_years.unit_name,
        unit_years.unit_type,
        targets.indicator_code,
        targets.target_year,
        targets.target_value,
        targets.legal_source

    from targets
    inner join unit_years
        on
            targets.unit_type = unit_years.unit_type
            and targets.target_year = unit_years.expected_year

),

final as (

    select
        units_in_target_years.unit_code,
        units_in_target_years.unit_name,
        units_in_target_years.unit_type,
        units_in_target_years.indicator_code,
        units_in_target_years.target_year,
        units_in_target_years.target_value,
        units_in_target_years.legal_source,
        year_end_values.value_number as reported_value,
        year_end_values.value_period_month as reported_period_month,
        coalesce(year_end_values.value_number >= units_in_target_years.target_value, false) as is_met,
        year_end_values.value_number - units_in_target_years.target_value as gap_to_target

    from units_in_target_years
    left join year_end_values
        on
            units_in_target_years.unit_code = year_end_values.unit_code
            and units_in_target_years.indicator_code = year_end_values.indicator_code
            and units_in_target_years.target_year = year_end_values.value_year

)

select * from final
