{#
    The compliance status agrees with the deadline rule, row by row:
      late     ⇔ received_at >= deadline_at, with days_late >= 1
      on_time  ⇔ received_at <  deadline_at, with days_late = 0
      missing  ⇔ received_at is null,        with days_late null
    Returns the rows that break it.
#}
{% test timeliness_follows_deadline(
    model,
    status_column='status',
    received_at_column='received_at',
    deadline_column='deadline_at',
    days_late_column='days_late'
) %}

    select *
    from {{ model }}
    where
        ({{ status_column }} = 'late')
            is distinct from coalesce({{ received_at_column }} >= {{ deadline_column }}, false)
        or ({{ status_column }} = 'on_time')
            is distinct from coalesce({{ received_at_column }} < {{ deadline_column }}, false)
        or ({{ status_column }} = 'missing') is distinct from ({{ received_at_column }} is null)
        or ({{ status_column }} = 'late' and {{ days_late_column }} is distinct from greatest(
            1,
            ceil(
                (extract(epoch from {{ received_at_column }}) - extract(epoch from {{ deadline_column }}))
                / 86400
            )
        ))
        or ({{ status_column }} = 'on_time' and {{ days_late_column }} is distinct from 0)
        or ({{ status_column }} = 'missing' and {{ days_late_column }} is not null)

{% endtest %}
