{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='value_year',
        on_schema_change='fail',
        pre_hook="{{ record_derived_years() }}"
    )
}}

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
        submission_values.indicator_code,
        submission_values.value_number,
        cast(extract(year from period_values_source.period_month) as integer) as value_year

    from period_values_source
    inner join submission_values
        on period_values_source.value_message_hash = submission_values.message_hash
    where submission_values.value_number is not null

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
