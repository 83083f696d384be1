{{ config(**year_replacement('ranking_year')) }}

-- The annual IT-application index: per (year, unit valid at the year's end) five group sub-indices on 0-1,
-- the weighted overall index (seed scoring_weights) and the rank among ministries and agencies and among
-- provinces, separately. Tie rule: equal index (4 decimals) → same rank, the next rank is skipped (rank()).
-- A year that spans the 2025 reorganisations ranks the units valid in its December, their predecessors'
-- months rolled up (int_year_end_units, int_year_end_unit_values). A unit that reported in fewer than
-- var `annual_min_reported_share` of the closed months it owed is listed, not ranked.
-- Incremental: a month rebuilds the years from macro derived_first_year on, each year whole, reading one year
-- more (the first year's previous_group_rank).
-- depends_on: {{ ref('stg_submissions') }} {{ ref('stg_period_closures') }}
{%- set first_year = derived_first_year() | trim | int %}

with

expected_reports as (

    select * from {{ ref('int_expected_reports') }}
    {% if is_incremental() -%}
        where period_month >= make_date({{ first_year - 1 }}, 1, 1)
    {%- endif %}

),

year_end_units as (

    select * from {{ ref('int_year_end_units') }}
    {% if is_incremental() -%}
        where ranking_year >= {{ first_year - 1 }}
    {%- endif %}

),

year_end_values as (

    select * from {{ ref('int_year_end_unit_values') }}
    {% if is_incremental() -%}
        where value_year >= {{ first_year - 1 }}
    {%- endif %}

),

first_submissions as (

    select * from {{ ref('int_first_submissions') }}
    {% if is_incremental() -%}
        where period_month >= make_date({{ first_year - 1 }}, 1, 1)
    {%- endif %}

),

indicator_scoring as (

    select * from {{ ref('stg_indicator_scoring') }}

),

indicators as (

    select * from {{ ref('stg_indicators') }}

),

scoring_weights as (

    select * from {{ ref('stg_scoring_weights') }}

),

expected_months as (

    select
        expected_reports.unit_code as reporting_unit_code,
        expected_reports.unit_name,
        expected_reports.unit_type,
        expected_reports.period_month,
        year_end_units.year_end_unit_code as unit_code,
        year_end_units.ranking_year,
        first_submissions.message_hash as first_message_hash

    from expected_reports
    inner join year_end_units
        on
            expected_reports.unit_code = year_end_units.unit_code
            and cast(extract(year from expected_reports.period_month) as integer) = year_end_units.ranking_year
    left join first_submissions
        on
            expected_reports.unit_code = first_submissions.unit_code
            and expected_reports.period_month = first_submissions.period_month

),

unit_years as (

    select
        unit_code,
        ranking_year,
        cast(count(distinct period_month) as integer) as periods_expected,
        cast(count(distinct period_month) filter (where first_message_hash is not null) as integer)
            as periods_reported,
        cast(
            string_agg(distinct reporting_unit_code, ',') filter (where reporting_unit_code <> unit_code) as text
        ) as rolled_up_unit_codes,
        max(unit_name) filter (where reporting_unit_code = unit_code) as unit_name,
        max(unit_type) filter (where reporting_unit_code = unit_code) as unit_type

    from expected_months
    group by unit_code, ranking_year

),

scored_indicators as (

    select
        indicator_scoring.indicator_code,
        indicator_scoring.scoring_method,
        indicator_scoring.denominator_code,
        indicator_scoring.score_cap,
        indicators.group_code,
        numerator.numerator_code

    from indicator_scoring
    inner join indicators
        on indicator_scoring.indicator_code = indicators.indicator_code
    cross join lateral unnest(string_to_array(indicator_scoring.numerator_codes, '+')) as numerator (numerator_code)

),

indicator_parts as (

    select
        unit_years.unit_code,
        unit_years.ranking_year,
        scored_indicators.indicator_code,
        scored_indicators.group_code,
        scored_indicators.scoring_method,
        scored_indicators.score_cap,
        sum(numerator_values.value_number) as numerator_value,
        max(denominator_values.value_number) as denominator_value

    from unit_years
    cross join scored_indicators
    left join year_end_values as numerator_values
        on
            unit_years.unit_code = numerator_values.unit_code
            and unit_years.ranking_year = numerator_values.value_year
            and scored_indicators.numerator_code = numerator_values.indicator_code
    left join year_end_values as denominator_values
        on
            unit_years.unit_code = denominator_values.unit_code
            and unit_years.ranking_year = denominator_values.value_year
            and scored_indicators.denominator_code = denominator_values.indicator_code
    group by
        unit_years.unit_code,
        unit_years.ranking_year,
        scored_indicators.indicator_code,
        scored_indicators.group_code,
        scored_indicators.scoring_method,
        scored_indicators.score_cap

),

indicator_scores as (

    select
        unit_code,
        ranking_year,
        group_code,
        score_cap,
        case scoring_method
            when 'percent' then numerator_value / 100
            when 'yes_no' then numerator_value
            when 'ratio' then numerator_value / nullif(denominator_value, 0)
        end as raw_score

    from indicator_parts

),

capped_scores as (

    select
        unit_code,
        ranking_year,
        group_code,
        -- a missing value scores 0: no credit for what was not reported (least/greatest skip nulls)
        case
            when raw_score is null then 0
            else greatest(0, least(score_cap, raw_score))
        end as indicator_score

    from indicator_scores

),

group_indices as (

    select
        unit_code,
        ranking_year,
        group_code,
        avg(indicator_score) as group_index

    from capped_scores
    group by unit_code, ranking_year, group_code

),

pivoted as (

    select
        group_indices.unit_code,
        group_indices.ranking_year,
        -- null for a group without scored indicators; indexed makes it 0 (as for a unit without values)
        max(group_indices.group_index) filter (where group_indices.group_code = 'information')
            as information_index,
        max(group_indices.group_index) filter (where group_indices.group_code = 'online_services')
            as online_services_index,
        max(group_indices.group_index) filter (where group_indices.group_code = 'internal_use')
            as internal_use_index,
        max(group_indices.group_index) filter (where group_indices.group_code = 'policy_hr')
            as policy_hr_index,
        max(group_indices.group_index) filter (where group_indices.group_code = 'infrastructure')
            as infrastructure_index,
        sum(group_indices.group_index * scoring_weights.group_weight) as weighted_index

    from group_indices
    inner join scoring_weights
        on group_indices.group_code = scoring_weights.group_code
    group by group_indices.unit_code, group_indices.ranking_year

),

indexed as (

    select
        unit_years.ranking_year,
        unit_years.unit_code,
        unit_years.unit_name,
        unit_years.unit_type,
        unit_years.periods_expected,
        unit_years.periods_reported,
        unit_years.rolled_up_unit_codes,
        cast(
            case
                when unit_years.periods_reported = 0 then 'no_reports'
                when unit_years.periods_reported < ceil(
                    unit_years.periods_expected * {{ var('annual_min_reported_share') }}
                ) then 'too_few_reports'
            end as text
        ) as unranked_reason,
        cast(
            case
                when unit_years.unit_type in ('ministry', 'ministerial_agency', 'government_agency')
                    then 'ministries_agencies'
                else 'provinces'
            end as text
        ) as ranking_group,
        cast(round(coalesce(pivoted.information_index, 0), 4) as numeric(5, 4)) as information_index,
        cast(round(coalesce(pivoted.online_services_index, 0), 4) as numeric(5, 4)) as online_services_index,
        cast(round(coalesce(pivoted.internal_use_index, 0), 4) as numeric(5, 4)) as internal_use_index,
        cast(round(coalesce(pivoted.policy_hr_index, 0), 4) as numeric(5, 4)) as policy_hr_index,
        cast(round(coalesce(pivoted.infrastructure_index, 0), 4) as numeric(5, 4)) as infrastructure_index,
        cast(round(coalesce(pivoted.weighted_index, 0), 4) as numeric(5, 4)) as overall_index

    from unit_years
    left join pivoted
        on
            unit_years.unit_code = pivoted.unit_code
            and unit_years.ranking_year = pivoted.ranking_year

),

ranked as (

    select
        *,
        cast(case when unranked_reason is null then rank() over (
            partition by ranking_year, ranking_group, unranked_reason is null
            order by overall_index desc
        ) end as integer) as group_rank,
        cast(
            count(unit_code) filter (where unranked_reason is null) over (partition by ranking_year, ranking_group)
            as integer
        ) as units_ranked,
        unranked_reason is null as is_ranked

    from indexed

),

final as (

    select
        ranked.ranking_year,
        ranked.unit_code,
        ranked.unit_name,
        ranked.unit_type,
        ranked.periods_expected,
        ranked.periods_reported,
        ranked.rolled_up_unit_codes,
        ranked.ranking_group,
        ranked.information_index,
        ranked.online_services_index,
        ranked.internal_use_index,
        ranked.policy_hr_index,
        ranked.infrastructure_index,
        ranked.overall_index,
        ranked.is_ranked,
        ranked.unranked_reason,
        ranked.group_rank,
        ranked.units_ranked,
        previous_year.group_rank as previous_group_rank

    from ranked
    left join ranked as previous_year
        on
            ranked.unit_code = previous_year.unit_code
            and ranked.ranking_group = previous_year.ranking_group
            and ranked.ranking_year = previous_year.ranking_year + 1
    {% if is_incremental() -%}
        where ranked.ranking_year >= {{ first_year }}
    {%- endif %}

)

select * from final
