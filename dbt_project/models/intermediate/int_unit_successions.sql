-- Every unit with the unit that carries its history today: follow successor links until a unit without a
-- successor (P02 → P08-2025; a unit merged twice follows both links). Unrolled to var
-- `successor_chain_max_depth` joins (no recursive SQL, so it can be unit tested).

{%- set max_depth = var('successor_chain_max_depth') | int %}

with

reporting_units as (

    select * from {{ ref('stg_reporting_units') }}

),

chains as (

    select
        step_0.unit_code,
        {% for depth in range(1, max_depth + 1) %}
            step_{{ depth }}.unit_code as step_{{ depth }}_code,
        {% endfor %}
        step_0.successor_unit_code

    from reporting_units as step_0
    {% for depth in range(1, max_depth + 1) %}
        left join reporting_units as step_{{ depth }}
            on step_{{ depth - 1 }}.successor_unit_code = step_{{ depth }}.unit_code
    {% endfor %}

),

resolved as (

    select
        unit_code,
        coalesce(
            {% for depth in range(max_depth, 0, -1) %}
                step_{{ depth }}_code,
            {% endfor %}
            unit_code
        ) as current_unit_code,
        (
            0
            {% for depth in range(1, max_depth + 1) %}
                + (case when step_{{ depth }}_code is not null then 1 else 0 end)
            {% endfor %}
        ) as succession_depth

    from chains

),

final as (

    select
        unit_code,
        current_unit_code,
        succession_depth,
        case when succession_depth > 0 then current_unit_code end as current_successor_code

    from resolved

)

select * from final
