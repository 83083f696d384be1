{#
    The deadline rule, the SQL twin of ingestion/periods.py (DeadlineRule).
    A report for period M is due strictly before day `deadline_day` 00:00 of month M in `timezone`
    (Công văn 1485/BTTTT-UDCNTT: "trước ngày 22 hằng tháng"). Both settings are dbt vars that the
    Python settings pass with --vars, so Python and SQL always agree.
#}

{% macro deadline_utc(period_month) -%}
    {#- The first late instant for the period, as timestamptz (e.g. 2009-06-21 17:00:00+00 for 2009-06). -#}
    ((cast({{ period_month }} as date) + ({{ var('deadline_day') | int }} - 1) * interval '1 day')::timestamp
        at time zone '{{ var("timezone") }}')
{%- endmacro %}

{% macro days_late(received_at, deadline) -%}
    {#-
        0 when received before the deadline, else the whole days started after it (exactly at the
        deadline or 1 second after → 1). Null when nothing was received.
    -#}
    (case
        when {{ received_at }} is null then null
        when {{ received_at }} < {{ deadline }} then 0
        else greatest(
            1,
            ceil((extract(epoch from {{ received_at }}) - extract(epoch from {{ deadline }})) / 86400)
        )
    end)::integer
{%- endmacro %}
