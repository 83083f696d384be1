with

source as (

    select * from {{ source('raw', 'submissions') }}

),

renamed as (

    select

        ---------- ids
        message_hash,
        unit_code,

        ---------- strings
        submission_kind,
        filename as attachment_filename,
        difficulties,
        proposals,

        ---------- dates
        period_month,
        same_as_period,

        ---------- timestamps
        received_at,
        loaded_at

    from source

)

select * from renamed
