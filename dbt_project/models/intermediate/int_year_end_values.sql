{{ config(**year_replacement('value_year')) }}

-- Per (unit, year, indicator): the value that stands for the year, i.e. the effective value in December,
-- or in the latest month of the year with a numeric effective value (carried notices included).
-- Incremental: a month rebuilds the years from macro derived_first_year on, each year whole.
-- depends_on: {{ ref('stg_submissions') }} {{ ref('stg_period_closures') }}

with

period_values_source as (

    select * from {{ ref('int_period_values_source') }}
    {% if is_incremental() -%}
        where period_month >= make_date({{ derived_first_year() }}, 1, 1)
    {%- endif %}

),

submission_values as (

    select * from {{ ref('stg_submission_values') }}

),

period_values as (

    select
        period_values_source.unit_code,
        period_values_source.period_month,
        message_values.indicator_code,
        message_values.value_number,
        cast(extract(year from period_values_source.period_month) as integer) as value_year

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

),

ranked as (

    select
        *,
        row_number() over (
            partition by unit_code, value_year, indicator_code
            order by period_month desc
        ) as recency_rank

    from period_values

),

final as (

    select
        unit_code,
        value_year,
        indicator_code,
        value_number,
        period_month as value_period_month

    from ranked
    where recency_rank = 1

)

select * from final
