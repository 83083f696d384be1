with

reporting_units as (

    select * from {{ ref('stg_reporting_units') }}

),

unit_successions as (

    select * from {{ ref('int_unit_successions') }}

),

-- "Today" in the ministry's timezone, fixed when the table is built.
build_day as (

    select cast(now() at time zone '{{ var("timezone") }}' as date) as today

),

final as (

    select
        reporting_units.unit_code,
        reporting_units.official_code,
        reporting_units.unit_name_vi as unit_name,
        reporting_units.unit_name_en,
        reporting_units.unit_type,
        reporting_units.contact_email,
        reporting_units.valid_from,
        reporting_units.valid_to,
        reporting_units.successor_unit_code,
        unit_successions.current_successor_code,
        unit_successions.current_unit_code,
        coalesce(
            reporting_units.valid_from <= build_day.today
            and (reporting_units.valid_to is null or reporting_units.valid_to > build_day.today),
            false
        ) as is_current

    from reporting_units
    inner join unit_successions
        on reporting_units.unit_code = unit_successions.unit_code
    cross join build_day

)

select * from final
