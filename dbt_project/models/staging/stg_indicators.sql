with

catalogue as (

    select * from {{ ref('indicator_catalogue') }}

),

indicator_groups as (

    select * from {{ ref('indicator_groups') }}

),

renamed as (

    select

        ---------- ids
        catalogue.indicator_code,
        catalogue.group_code,

        ---------- strings
        catalogue.name_vi as indicator_name_vi,
        catalogue.name_en as indicator_name_en,
        indicator_groups.name_vi as group_name_vi,
        indicator_groups.name_en as group_name_en,
        catalogue.measure_unit_vi,
        catalogue.measure_unit_en,
        catalogue.value_type,

        ---------- numerics
        indicator_groups.sort_order as group_sort_order,
        catalogue.sort_order as indicator_sort_order,
        catalogue.min_value,
        catalogue.max_value,

        ---------- booleans
        catalogue.is_required

    from catalogue
    left join indicator_groups
        on catalogue.group_code = indicator_groups.group_code

)

select * from renamed
