{{ config(tags=["upstream"]) }}

-- The current unit of every succession chain has no successor itself (else raise
-- var successor_chain_max_depth).
select
    successions.unit_code,
    successions.current_unit_code
from {{ ref('int_unit_successions') }} as successions
inner join {{ ref('stg_reporting_units') }} as units
    on successions.current_unit_code = units.unit_code
where units.successor_unit_code is not null
