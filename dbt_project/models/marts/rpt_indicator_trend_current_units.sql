{{
    config(**period_replacement(
        'marts.rpt_indicator_trend_current_units',
        pre_hook="{{ record_derived_periods('marts.fct_indicator_values') }}"
    ))
}}

-- Trend view across the 2025 reorganisations: every row of fct_indicator_values (its own unit unchanged)
-- with the unit that carries its history today, and the value rolled up over all units that map to the
-- same current unit in the same period (sum for counts and money, mean for percents, max for yes/no).

-- Incremental: a month rebuilds the periods fct_indicator_values rewrote (macro derived_cutoff), each period
-- whole (its rows depend on that period's values and on the registry only). The delete reads the periods rebuilt
-- only (macro record_derived_periods), through the period_month index.

with

indicator_values as (

    select * from {{ ref('fct_indicator_values') }}
    {% if is_incremental() -%}
        where period_month >= {{ derived_cutoff('marts.fct_indicator_values') }}
    {%- endif %}

),

reporting_units as (

    select * from {{ ref('dim_reporting_unit') }}

),

mapped as (

    select
        indicator_values.unit_code,
        indicator_values.period_month,
        indicator_values.indicator_code,
        indicator_values.value_type,
        indicator_values.value_number,
        indicator_values.value_source,
        reporting_units.current_unit_code,
        current_units.unit_name as current_unit_name,
        current_units.unit_type as current_unit_type

    from indicator_values
    inner join reporting_units
        on indicator_values.unit_code = reporting_units.unit_code
    inner join reporting_units as current_units
        on reporting_units.current_unit_code = current_units.unit_code

),

final as (

    select
        unit_code,
        period_month,
        indicator_code,
        value_type,
        value_number,
        value_source,
        current_unit_code,
        current_unit_name,
        current_unit_type,
        cast(
            count(value_number) over (partition by current_unit_code, period_month, indicator_code) as integer
        ) as units_rolled_up,
        case
            when value_type in ('count', 'money')
                then sum(value_number) over (partition by current_unit_code, period_month, indicator_code)
            when value_type = 'percent'
                then avg(value_number) over (partition by current_unit_code, period_month, indicator_code)
            when value_type = 'yes_no'
                then max(value_number) over (partition by current_unit_code, period_month, indicator_code)
        end as current_unit_value

    from mapped

)

select * from final
