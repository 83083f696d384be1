{{ config(**year_replacement('value_year')) }}

-- Per (year, unit valid at the year's end, indicator): the value that stands for the year, with the months of
-- its predecessors rolled up as rpt_indicator_trend_current_units does (sum for counts and money, mean for
-- percents, max for yes/no): December's value, else the latest month of the year with a numeric value.
-- Before 2025 every unit stands for itself and this equals int_year_end_values.
-- Incremental: a month rebuilds the years from macro derived_first_year on, each year whole.
-- depends_on: {{ ref('stg_submissions') }} {{ ref('stg_period_closures') }}
{%- set first_year = derived_first_year() | trim %}

with

period_values_source as (

    select * from {{ ref('int_period_values_source') }}
    {% if is_incremental() -%}
        where period_month >= make_date({{ first_year }}, 1, 1)
    {%- endif %}

),

submission_values as (

    select * from {{ ref('stg_submission_values') }}

),

year_end_units as (

    select * from {{ ref('int_year_end_units') }}
    {% if is_incremental() -%}
        where ranking_year >= {{ first_year }}
    {%- endif %}

),

indicators as (

    select * from {{ ref('stg_indicators') }}

),

period_values as (

    select
        year_end_units.year_end_unit_code,
        year_end_units.ranking_year,
        period_values_source.unit_code,
        period_values_source.period_month,
        message_values.indicator_code,
        message_values.value_number

    from period_values_source
    -- a monthly build reads the raw values of the messages it rebuilds through the primary key, message by message:
    -- `offset 0` keeps the lateral subquery a nested loop over the index (pulled up into a plain join, the planner
    -- hashed every raw value of the history); a full refresh joins as usual
    cross join
        lateral (
            select
                submission_values.indicator_code,
                submission_values.value_number
            from submission_values
            where
                submission_values.message_hash = period_values_source.value_message_hash
                and submission_values.value_number is not null
            {% if is_incremental() -%}
                offset 0  -- noqa: AM09
            {%- endif %}
        ) as message_values
    inner join year_end_units
        on
            period_values_source.unit_code = year_end_units.unit_code
            and cast(extract(year from period_values_source.period_month) as integer) = year_end_units.ranking_year

),

rolled_up as (

    select
        period_values.year_end_unit_code,
        period_values.ranking_year,
        period_values.period_month,
        period_values.indicator_code,
        cast(count(period_values.value_number) as integer) as units_rolled_up,
        case
            when max(indicators.value_type) = 'percent' then avg(period_values.value_number)
            when max(indicators.value_type) = 'yes_no' then max(period_values.value_number)
            else sum(period_values.value_number)
        end as value_number

    from period_values
    inner join indicators
        on period_values.indicator_code = indicators.indicator_code
    group by
        period_values.year_end_unit_code,
        period_values.ranking_year,
        period_values.period_month,
        period_values.indicator_code

),

ranked as (

    select
        *,
        row_number() over (
            partition by year_end_unit_code, ranking_year, indicator_code
            order by period_month desc
        ) as recency_rank

    from rolled_up

),

final as (

    select
        year_end_unit_code as unit_code,
        ranking_year as value_year,
        indicator_code,
        value_number,
        period_month as value_period_month,
        units_rolled_up

    from ranked
    where recency_rank = 1

)

select * from final
