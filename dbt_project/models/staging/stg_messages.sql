with

source as (

    select * from {{ source('raw', 'messages') }}

),

renamed as (

    select

        ---------- ids
        message_hash,
        message_id,
        unit_code,

        ---------- strings
        source as mailbox_source,
        subject,
        archive_path,
        state as message_state,
        reason_code,
        reason_vi,
        reason_en,
        submission_kind,

        ---------- dates
        period_month,

        ---------- timestamps
        date_header as header_dated_at,
        received_at,
        processed_at,

        ---------- normalised
        lower(sender) as sender_address

    from source

)

select * from renamed
