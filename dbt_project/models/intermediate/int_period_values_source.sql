{{
    config(**period_replacement(
        'intermediate.int_period_values_source',
        pre_hook="{{ record_loaded_through('period_loaded_at') }}"
    ))
}}

-- Per (unit, period) with an effective submission: which report's values hold for the period. A report
-- holds its own values; a "same as" notice carries the values of the previous month, which may itself be a
-- notice: the chain is followed back, without recursion, to the latest report of the unit, provided every
-- month in between has an effective submission (an unbroken chain). A broken chain carries nothing.
-- Incremental: a period's row depends on that period and the ones before it, so a month replaces every period from
-- macro incremental_cutoff on (lookback + late loads), each whole. A chain reaching back before the window
-- continues from the row its unit has for the month before the window (only unbroken chains have one), which the
-- build that wrote it resolved: that row anchors the window's chain as a report would, with the values it carries.
-- depends_on: {{ ref('stg_submissions') }}

{% set cutoff = incremental_cutoff('period_loaded_at') if is_incremental() else none %}

with

submission_versions as (

    select * from {{ ref('int_submission_versions') }}
    {% if cutoff -%}
        where period_month >= {{ cutoff }}
    {%- endif %}

),

-- each link of a chain: a period's effective submission, or the row carried in from the month before the window
chain_links as (

    select
        unit_code,
        period_month,
        message_hash,
        submission_kind,
        received_at,
        version_number,
        version_count,
        period_loaded_at,
        message_hash as anchor_message_hash,
        period_month as anchor_value_period_month,
        false as is_carried_in,
        submission_kind = 'report' as is_anchor

    from submission_versions
    where is_effective

    {% if cutoff -%}
        union all

        select
            unit_code,
            period_month,
            effective_message_hash as message_hash,
            submission_kind,
            received_at,
            null as version_number,
            null as version_count,
            period_loaded_at,
            value_message_hash as anchor_message_hash,
            value_period_month as anchor_value_period_month,
            true as is_carried_in,
            true as is_anchor

        from {{ this }}
        where period_month = cast({{ cutoff }} - interval '1 month' as date)
    {%- endif %}

),

sequenced as (

    select
        *,
        row_number() over (partition by unit_code order by period_month) as period_sequence

    from chain_links

),

anchored as (

    select
        *,
        max(case when is_anchor then period_month end) over (
            partition by unit_code order by period_month rows between unbounded preceding and current row
        ) as anchor_period_month,
        max(case when is_anchor then period_sequence end) over (
            partition by unit_code order by period_month rows between unbounded preceding and current row
        ) as anchor_sequence

    from sequenced

),

resolved as (

    select
        anchored.unit_code,
        anchored.period_month,
        anchored.message_hash as effective_message_hash,
        anchored.submission_kind,
        anchored.received_at,
        anchored.period_loaded_at,
        anchored.is_carried_in,
        anchors.anchor_message_hash as value_message_hash,
        anchors.anchor_value_period_month as value_period_month,
        cast(anchored.version_count - 1 as integer) as superseded_versions,
        cast(
            case
                when anchored.submission_kind = 'same_as_notice' then 'same_as_notice'
                when anchored.version_number > 1 then 'correction'
                else 'report'
            end as text
        ) as value_source,
        -- months between the anchor and this period = links between them: unbroken
        anchored.period_sequence - anchored.anchor_sequence = (
            extract(year from age(anchored.period_month, anchored.anchor_period_month)) * 12
            + extract(month from age(anchored.period_month, anchored.anchor_period_month))
        ) as is_chain_unbroken

    from anchored
    left join chain_links as anchors
        on
            anchored.unit_code = anchors.unit_code
            and anchored.anchor_period_month = anchors.period_month

),

final as (

    select
        unit_code,
        period_month,
        effective_message_hash,
        submission_kind,
        received_at,
        value_message_hash,
        value_period_month,
        value_source,
        superseded_versions,
        period_loaded_at

    from resolved
    where coalesce(is_chain_unbroken, false) and not is_carried_in

)

select * from final
