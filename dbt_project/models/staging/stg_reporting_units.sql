with

source as (

    select * from {{ ref('reporting_units') }}

),

renamed as (

    select

        ---------- ids
        unit_code,
        official_code,
        successor_code as successor_unit_code,

        ---------- strings
        name_vi as unit_name_vi,
        name_en as unit_name_en,
        unit_type,

        ---------- dates (valid_from inclusive, valid_to exclusive)
        valid_from,
        valid_to,

        ---------- normalised
        lower(contact_email) as contact_email

    from source

)

select * from renamed
