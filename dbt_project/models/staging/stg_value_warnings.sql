with

source as (

    select * from {{ source('raw', 'value_warnings') }}

),

renamed as (

    select

        ---------- ids
        message_hash,
        indicator_code,

        ---------- strings
        warning_code,
        message_vi,
        message_en,

        ---------- numerics
        value,
        expected_low,
        expected_high,

        ---------- timestamps
        created_at

    from source

)

select * from renamed
