with

source as (

    select * from {{ ref('indicator_scoring') }}

),

renamed as (

    select

        ---------- ids
        indicator_code,
        denominator_code,

        ---------- strings
        scoring_method,
        numerator_codes,

        ---------- numerics
        cap as score_cap

    from source

)

select * from renamed
