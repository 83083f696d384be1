with

indicators as (

    select * from {{ ref('stg_indicators') }}

),

indicator_scoring as (

    select * from {{ ref('stg_indicator_scoring') }}

),

scoring_weights as (

    select * from {{ ref('stg_scoring_weights') }}

),

final as (

    select
        indicators.indicator_code,
        indicators.group_code,
        indicators.indicator_name_vi,
        indicators.indicator_name_en,
        indicators.group_name_vi,
        indicators.group_name_en,
        indicators.measure_unit_vi,
        indicators.measure_unit_en,
        indicators.value_type,
        indicators.group_sort_order,
        indicators.indicator_sort_order,
        indicators.min_value,
        indicators.max_value,
        indicators.is_required,
        indicator_scoring.scoring_method,
        indicator_scoring.numerator_codes,
        indicator_scoring.denominator_code,
        scoring_weights.group_weight,
        indicator_scoring.indicator_code is not null as is_scored

    from indicators
    left join indicator_scoring
        on indicators.indicator_code = indicator_scoring.indicator_code
    left join scoring_weights
        on indicators.group_code = scoring_weights.group_code

)

select * from final
