with

source as (

    select * from {{ source('raw', 'submission_values') }}

),

renamed as (

    select

        ---------- ids
        message_hash,
        indicator_code,

        ---------- values
        value_text,
        value_number

    from source

)

select * from renamed
