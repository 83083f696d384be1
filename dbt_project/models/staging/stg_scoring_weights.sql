with

source as (

    select * from {{ ref('scoring_weights') }}

),

renamed as (

    select

        ---------- ids
        group_code,

        ---------- numerics
        weight as group_weight,

        ---------- strings
        rationale as weight_rationale

    from source

)

select * from renamed
