-- Every reporting period from var `first_period` (2009-06) to the current month (Asia/Ho_Chi_Minh, when
-- the table is built), with its deadline and whether monthly_close has closed it.

with

period_closures as (

    select * from {{ ref('stg_period_closures') }}

),

-- up to the month of "today" in the ministry's timezone, fixed when the table is built
months as (

    select cast(month_start as date) as period_month

    from generate_series(
        cast('{{ var("first_period") }}' as date),
        cast(date_trunc('month', now() at time zone '{{ var("timezone") }}') as date),
        interval '1 month'
    ) as month_start

),

final as (

    select
        months.period_month,
        to_char(months.period_month, 'YYYY-MM') as period_label,
        cast(extract(year from months.period_month) as integer) as period_year,
        cast(extract(quarter from months.period_month) as integer) as period_quarter,
        cast(extract(month from months.period_month) as integer) as period_month_number,
        {{ deadline_utc('months.period_month') }} as deadline_at,
        period_closures.period_month is not null as is_closed,
        period_closures.closed_at

    from months
    left join period_closures
        on months.period_month = period_closures.period_month

)

select * from final
