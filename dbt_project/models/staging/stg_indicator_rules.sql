with

source as (

    select * from {{ ref('indicator_rules') }}

),

renamed as (

    select

        ---------- ids
        rule_code,
        left_indicator as left_indicator_code,
        right_indicator as right_indicator_code,

        ---------- strings
        operator as comparison_operator,
        description_vi as rule_description_vi,
        description_en as rule_description_en

    from source

)

select * from renamed
