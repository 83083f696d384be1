{#
    The window an incremental fact rebuilds: every period from `cutoff` on, where cutoff is the earliest of
      - the latest period the fact holds minus var `lookback_months`, and
      - the earliest period of a submission loaded after the fact's watermark (`watermark_column`, the
        latest raw loaded_at it has seen), so a late correction for an old period always lands.
    Use inside `{% if is_incremental() %}`: `where period_month >= {{ incremental_cutoff() }}`.
#}
{% macro incremental_cutoff(watermark_column='source_loaded_at') -%}
    (
        select
            coalesce(least(
                max(this_model.period_month) - interval '{{ var("lookback_months") | int }} months',
                (
                    select min(new_submissions.period_month)
                    from {{ ref('stg_submissions') }} as new_submissions
                    where new_submissions.loaded_at > (
                        select max(watermark_model.{{ watermark_column }}) from {{ this }} as watermark_model
                    )
                )
            )::date, cast('{{ var("first_period") }}' as date))
        from {{ this }} as this_model
    )
{%- endmacro %}
