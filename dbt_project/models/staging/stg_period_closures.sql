with

source as (

    select * from {{ source('raw', 'period_closures') }}

),

renamed as (

    select

        ---------- dates
        period_month,

        ---------- strings
        dag_run_id,

        ---------- timestamps
        closed_at

    from source

)

select * from renamed
