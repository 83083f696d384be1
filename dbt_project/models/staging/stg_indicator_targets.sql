with

source as (

    select * from {{ ref('indicator_targets') }}

),

renamed as (

    select

        ---------- ids
        indicator_code,
        unit_type,

        ---------- numerics
        target_year,
        target_value,

        ---------- strings
        source as legal_source

    from source

)

select * from renamed
