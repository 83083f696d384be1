{{ config(**year_replacement('ranking_year')) }}

-- Per (year, unit expected in a closed period of that year): the unit that stands for it at the year's end,
-- i.e. the first unit along its successor links (itself included) valid in the year's December. Before the
-- 2025 reorganisations every unit stands for itself; in 2025 Tỉnh Hà Giang (P02) stands under P08-2025.
-- Unrolled to var `successor_chain_max_depth` joins, as int_unit_successions.
-- Incremental: a month rebuilds the years from macro derived_first_year on, each year whole (a view read the
-- expected reports of every year before the readers' filter on the year could apply).
-- depends_on: {{ ref('stg_submissions') }} {{ ref('stg_period_closures') }}

{%- set max_depth = var('successor_chain_max_depth') | int %}
{%- set first_year = derived_first_year() | trim %}

with

expected_reports as (

    select * from {{ ref('int_expected_reports') }}
    {% if is_incremental() -%}
        where period_month >= make_date({{ first_year }}, 1, 1)
    {%- endif %}

),

reporting_units as (

    select * from {{ ref('stg_reporting_units') }}

),

unit_years as (

    select distinct
        unit_code,
        cast(extract(year from period_month) as integer) as ranking_year

    from expected_reports

),

chain_members as (

    select
        unit_code,
        unit_code as member_code,
        0 as chain_depth

    from reporting_units

    {% for depth in range(1, max_depth + 1) %}
        union all

        select
            step_0.unit_code,
            step_{{ depth }}.unit_code as member_code,
            {{ depth }} as chain_depth

        from reporting_units as step_0
        {% for step in range(1, depth + 1) %}
            inner join reporting_units as step_{{ step }}
                on step_{{ step - 1 }}.successor_unit_code = step_{{ step }}.unit_code
        {% endfor %}
    {% endfor %}

),

valid_members as (

    select
        unit_years.ranking_year,
        unit_years.unit_code,
        chain_members.member_code,
        row_number() over (
            partition by unit_years.ranking_year, unit_years.unit_code
            order by chain_members.chain_depth
        ) as member_order

    from unit_years
    inner join chain_members
        on unit_years.unit_code = chain_members.unit_code
    inner join reporting_units as members
        on chain_members.member_code = members.unit_code
    where
        members.valid_from <= make_date(unit_years.ranking_year, 12, 1)
        and (members.valid_to is null or members.valid_to > make_date(unit_years.ranking_year, 12, 1))

),

final as (

    select
        unit_years.ranking_year,
        unit_years.unit_code,
        -- a unit dissolved without a successor valid in December stands for itself
        coalesce(valid_members.member_code, unit_years.unit_code) as year_end_unit_code

    from unit_years
    left join valid_members
        on
            unit_years.ranking_year = valid_members.ranking_year
            and unit_years.unit_code = valid_members.unit_code
            and valid_members.member_order = 1

)

select * from final
