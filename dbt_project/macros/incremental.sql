{#
    The window an incremental fact rebuilds: every period from `cutoff` on, where cutoff is the earliest of
      - the latest period the fact holds minus var `lookback_months`, and
      - the earliest period of a submission loaded after the fact's last build (the latest raw loaded_at
        the build saw), so a late correction for an old period always lands.
    Use inside `{% if is_incremental() %}`: `where period_month >= {{ incremental_cutoff() }}`, with
    `pre_hook="{{ record_loaded_through() }}"` in the model's config.

    How far a build read is recorded by the model's pre-hook (`record_loaded_through`, in the model's transaction,
    so only a build that succeeded moves it): the latest loaded_at of every submission, not only of those that
    became rows of the fact. (A fact's own rows were its watermark before; a fact without a row for some
    submissions, such as a period holding only a "same as" notice, then saw those submissions as new at every
    build, and rebuilt every period since theirs.) A fact built before that record existed falls back to its
    `watermark_column`, as it used to.

    The cutoff is read when the model is compiled, just before it runs, and written into its SQL as a date: a
    constant lets PostgreSQL push the filter down into the views (to the raw tables' indexes) and estimate how
    few rows pass, so a month's build reads the window, not the history. (Written as a subquery, the filter was
    applied only after every view had been computed over the whole history.)
#}
{% macro incremental_state_schema() -%} intermediate {%- endmacro %}
{% macro incremental_state_table() -%} dbt_incremental_state {%- endmacro %}

{# on-run-start: the record exists before any model runs (models running side by side never race to create it). #}
{% macro ensure_incremental_state() -%}
    create schema if not exists {{ incremental_state_schema() }};
    create table if not exists {{ incremental_state_schema() }}.{{ incremental_state_table() }} (
        model text primary key,
        loaded_through timestamptz,
        rebuilt_from date not null,
        recorded_at timestamptz not null default now(),
        closed_through timestamptz,
        decided_through timestamptz
    );
    {#- closed_through came with the models derived year by year (derived_first_year), decided_through with those
        rebuilt from the periods a month changed (changed_periods_cutoff): added to an older record (checked first,
        so a record that has them is never locked) #}
    {%- for column in ['closed_through', 'decided_through'] %}
    do $add_column$
    begin
        if not exists (
            select 1 from information_schema.columns
            where
                table_schema = '{{ incremental_state_schema() }}'
                and table_name = '{{ incremental_state_table() }}'
                and column_name = '{{ column }}'
        ) then
            alter table {{ incremental_state_schema() }}.{{ incremental_state_table() }}
                add column {{ column }} timestamptz;
        end if;
    end
    $add_column$;
    {%- endfor %}
    {#- The roles that run the warehouse checks read the record (and nothing else of this schema); a role missing
        here (the embedded warehouse has one user) is skipped. #}
    {%- for reader in var("incremental_state_readers") %}
    do $state_reader$
    begin
        if exists (select 1 from pg_catalog.pg_roles where rolname = '{{ reader }}') then
            grant usage on schema {{ incremental_state_schema() }} to {{ reader }};
            grant select on {{ incremental_state_schema() }}.{{ incremental_state_table() }} to {{ reader }};
        end if;
    end
    $state_reader$;
    {%- endfor %}
{%- endmacro %}

{#
    Pre-hook of each incremental fact: how far its build reads the raw submissions, and the first period it
    rewrites (the whole fact on a full refresh), which the checks after the build read (rebuilt_from, below).
#}
{% macro record_loaded_through(watermark_column='source_loaded_at') -%}
    insert into {{ incremental_state_schema() }}.{{ incremental_state_table() }} (model, loaded_through, rebuilt_from)
    select
        '{{ this.schema }}.{{ this.identifier }}',
        max(loaded_at),
        {% if is_incremental() -%}
            {{ incremental_cutoff(watermark_column) }}
        {%- else -%}
            cast('{{ var("first_period") }}' as date)
        {%- endif %}
    from {{ ref('stg_submissions') }}
    on conflict (model) do update
        set loaded_through = excluded.loaded_through, rebuilt_from = excluded.rebuilt_from, recorded_at = now()
{%- endmacro %}

{#
    The first period the last build of incremental fact `model` (schema.name) rewrote: the checks after a monthly
    build test those periods, every earlier row having been tested by the build that wrote it. The first
    period of all when the fact has no record.
#}
{% macro rebuilt_from(model) -%}
    coalesce(
        (
            select recorded.rebuilt_from
            from {{ incremental_state_schema() }}.{{ incremental_state_table() }} as recorded
            where recorded.model = '{{ model }}'
        ),
        cast('{{ var("first_period") }}' as date)
    )
{%- endmacro %}

{#
    rebuilt_from, read when the node is compiled (just before it runs) and written into its SQL as a date: for the
    readers of another model's record, final by then (the tests on a fact, the marts derived from it). A constant
    lets the planner estimate the window's rows through the period_month index; behind a subquery it guessed a third
    of the fact and read all of it, so a month's tests grew with the history.
#}
{% macro rebuilt_from_now(model) -%}
    {%- if execute -%}
        cast('{{ run_query("select " ~ rebuilt_from(model)).columns[0].values()[0] }}' as date)
    {%- else -%}
        {{ rebuilt_from(model) }}
    {%- endif -%}
{%- endmacro %}

{% macro incremental_cutoff(watermark_column='source_loaded_at') -%}
    {%- if execute -%}
        {%- set state = adapter.get_relation(
            database=target.database, schema=incremental_state_schema(), identifier=incremental_state_table()
        ) -%}
        {%- set cutoff_query -%}
            with

            read_through as (

                select coalesce(
                    {% if state is not none -%}
                        (
                            select recorded.loaded_through
                            from {{ state }} as recorded
                            where recorded.model = '{{ this.schema }}.{{ this.identifier }}'
                        ),
                    {%- endif %}
                    (select max(watermark_model.{{ watermark_column }}) from {{ this }} as watermark_model)
                ) as loaded_at

            )

            select
                coalesce(least(
                    (
                        select max(this_model.period_month) from {{ this }} as this_model
                    ) - interval '{{ var("lookback_months") | int }} months',
                    (
                        select min(new_submissions.period_month)
                        from {{ ref('stg_submissions') }} as new_submissions
                        where new_submissions.loaded_at > (select read_through.loaded_at from read_through)
                    )
                )::date, cast('{{ var("first_period") }}' as date))
        {%- endset -%}
        {%- set cutoff = run_query(cutoff_query).columns[0].values()[0] -%}
        cast('{{ cutoff }}' as date)
    {%- else -%}
        cast('{{ var("first_period") }}' as date)
    {%- endif -%}
{%- endmacro %}

{#
    dbt's filter of the model a data test reads (its `where` config), with more values: a test on an incremental
    fact configured with `where: "rebuilt periods"` reads the periods the fact's last build rewrote (rebuilt_from)
    when the build runs with ITREPORT_DBT_SCOPE=rebuilt (the monthly build of an unchanged release:
    itreport/orchestration/dbt_build.py), and the whole fact otherwise (CI, full builds, a release that reloaded
    the seeds the facts refer to); on a mart derived period by period from a fact (derived_cutoff),
    `where: "rebuilt periods of <fact>"` reads the periods that fact's build rewrote. Either may add a condition
    of its own: `where: "rebuilt periods and <condition>"`, which every build applies. Read only when running, so
    parsing never depends on it.
#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where and where.startswith('rebuilt periods') -%}
        {%- set periods, _, condition = where.partition(' and ') -%}
        {%- set fact = periods.replace('rebuilt periods', '').replace(' of ', '').strip() -%}
        {%- set conditions = [condition] if condition else [] -%}
        {%- if execute and env_var('ITREPORT_DBT_SCOPE', 'all') == 'rebuilt' -%}
            {%- set model = relation.schema ~ '.' ~ (fact or relation.identifier) -%}
            {%- do conditions.insert(0, 'period_month >= ' ~ rebuilt_from_now(model)) -%}
        {%- endif -%}
        {%- set where = conditions | join(' and ') -%}
    {%- endif -%}
    {%- if where -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

{#
    The first period a mart derived period by period from incremental fact `model` rebuilds: the periods the
    fact's build just rewrote, in a monthly build of an unchanged release (ITREPORT_DBT_SCOPE=rebuilt), every
    period otherwise (new seeds may change every period). Use in the mart's `is_incremental()` branch, with the
    config of period_replacement, so a period is replaced whole.
#}
{% macro derived_cutoff(model) -%}
    {%- if execute and env_var('ITREPORT_DBT_SCOPE', 'all') == 'rebuilt' -%}
        {{ rebuilt_from_now(model) }}
    {%- else -%}
        cast('{{ var("first_period") }}' as date)
    {%- endif -%}
{%- endmacro %}

{#
    The first period a model keyed by (unit, period) on the message ledger rebuilds (int_first_submissions, whose
    rows count quarantined messages too, and fct_reporting_compliance, which adds the closed periods and the
    registry): the earliest period of
      - a submission loaded since the model's last build (the latest loaded_at that build saw: loaded_through),
      - a message decided (accepted or quarantined) or a period closed since that build (the latest processed_at
        and closed_at that build saw: decided_through, closed_through; for an older record, its recorded_at), and
      - the latest period the model holds (the current month is rebuilt every month, even a quiet one);
    every period on a full refresh, and, when `reads_registry`, in a build that is not the monthly build of an
    unchanged release (ITREPORT_DBT_SCOPE is not "rebuilt": new seeds may change every period's expected units).
    Use inside `{% if is_incremental() %}` with the config of period_replacement and
    `pre_hook="{{ record_changed_periods() }}"` (with the same `reads_registry`). Read when the model is compiled
    and written into its SQL as a date, like incremental_cutoff.
#}
{% macro changed_periods_cutoff(reads_registry=false) -%}
    {%- set first_period = "cast('" ~ var("first_period") ~ "' as date)" -%}
    {%- if execute and is_incremental() and (env_var('ITREPORT_DBT_SCOPE', 'all') == 'rebuilt' or not reads_registry) -%}
        {%- set cutoff_query -%}
            with

            previous as (

                select
                    coalesce(max(state.loaded_through), '-infinity') as loaded_through,
                    coalesce(max(state.decided_through), max(state.recorded_at), '-infinity') as decided_through,
                    coalesce(max(state.closed_through), max(state.recorded_at), '-infinity') as closed_through

                from {{ incremental_state_schema() }}.{{ incremental_state_table() }} as state
                where state.model = '{{ this.schema }}.{{ this.identifier }}'

            )

            select coalesce(least(
                (
                    select min(submissions.period_month) from {{ ref('stg_submissions') }} as submissions
                    where submissions.loaded_at > (select previous.loaded_through from previous)
                ),
                (
                    select min(messages.period_month) from {{ ref('stg_messages') }} as messages
                    where messages.processed_at > (select previous.decided_through from previous)
                ),
                (
                    select min(closures.period_month) from {{ ref('stg_period_closures') }} as closures
                    where closures.closed_at > (select previous.closed_through from previous)
                ),
                (select max(this_model.period_month) from {{ this }} as this_model)
            ), {{ first_period }})
        {%- endset -%}
        cast('{{ run_query(cutoff_query).columns[0].values()[0] }}' as date)
    {%- else -%}
        {{ first_period }}
    {%- endif -%}
{%- endmacro %}

{#
    Pre-hook of each model rebuilt from changed_periods_cutoff: how far its build reads the submissions, the message
    ledger and the closures (the latest of each it sees, so a row committed after the build started, though stamped
    before, is read by the next one), and the first period it rewrites, which the checks after the build read
    (rebuilt_from).
#}
{% macro record_changed_periods(reads_registry=false) -%}
    insert into {{ incremental_state_schema() }}.{{ incremental_state_table() }}
        (model, loaded_through, decided_through, closed_through, rebuilt_from)
    select
        '{{ this.schema }}.{{ this.identifier }}',
        (select max(submissions.loaded_at) from {{ ref('stg_submissions') }} as submissions),
        (select max(messages.processed_at) from {{ ref('stg_messages') }} as messages),
        (select max(closures.closed_at) from {{ ref('stg_period_closures') }} as closures),
        {{ changed_periods_cutoff(reads_registry) }}
    on conflict (model) do update
        set
            loaded_through = excluded.loaded_through,
            decided_through = excluded.decided_through,
            closed_through = excluded.closed_through,
            rebuilt_from = excluded.rebuilt_from,
            recorded_at = now()
{%- endmacro %}

{#
    The first year a model derived year by year from the submissions and the closed periods rebuilds (the annual
    ranking, the target progress and the year-end tables they read: a year's rows depend on every month of the
    year, and the annual ranking's on the year before). In a monthly build of an unchanged release
    (ITREPORT_DBT_SCOPE=rebuilt), the earliest year of
      - a submission loaded since the model's last build (the latest loaded_at that build saw: loaded_through),
        so a late report or correction for an earlier year rebuilds that year and every one after it (a "same as"
        notice may carry a December into the next January; a year's rank is the next year's previous rank),
      - a period closed since its last build (the latest closed_at it saw: closed_through), and
      - the latest closed period (the current year is rebuilt every month, even a quiet one);
    every year otherwise (a full refresh, a model without a record, new seeds: the registry, targets, weights).
    Use inside `{% if is_incremental() %}` with the config of year_replacement (a year is replaced whole), and
    `-- depends_on: {{ ref('stg_submissions') }} {{ ref('stg_period_closures') }}` in the model. Read when the
    model is compiled, just before it runs, and written into its SQL as a number, so the filters reach the
    intermediate tables and views it reads.
#}
{% macro derived_first_year() -%}
    {%- set first_year = var('first_period')[:4] | int -%}
    {%- if execute and is_incremental() and env_var('ITREPORT_DBT_SCOPE', 'all') == 'rebuilt' -%}
        {%- set first_year_query -%}
            with

            recorded as (

                select
                    coalesce(max(state.loaded_through), '-infinity') as loaded_through,
                    coalesce(max(state.closed_through), '-infinity') as closed_through

                from {{ incremental_state_schema() }}.{{ incremental_state_table() }} as state
                where state.model = '{{ this.schema }}.{{ this.identifier }}'

            )

            select cast(extract(year from least(
                (
                    select min(new_submissions.period_month)
                    from {{ ref('stg_submissions') }} as new_submissions
                    where new_submissions.loaded_at > (select recorded.loaded_through from recorded)
                ),
                (
                    select min(new_closures.period_month)
                    from {{ ref('stg_period_closures') }} as new_closures
                    where new_closures.closed_at > (select recorded.closed_through from recorded)
                ),
                (select max(closures.period_month) from {{ ref('stg_period_closures') }} as closures)
            )) as integer)
        {%- endset -%}
        {%- set found = run_query(first_year_query).columns[0].values()[0] -%}
        {{ [found | int, first_year] | max if found is not none else first_year }}
    {%- else -%}
        {{ first_year }}
    {%- endif -%}
{%- endmacro %}

{#
    Pre-hook of each model derived year by year (derived_first_year): how far its build reads the submissions and
    the closed periods, and the first period it rewrites (the first day of its first year rebuilt).
#}
{% macro record_derived_years() -%}
    insert into {{ incremental_state_schema() }}.{{ incremental_state_table() }}
        (model, loaded_through, closed_through, rebuilt_from)
    select
        '{{ this.schema }}.{{ this.identifier }}',
        (select max(submissions.loaded_at) from {{ ref('stg_submissions') }} as submissions),
        (select max(closures.closed_at) from {{ ref('stg_period_closures') }} as closures),
        greatest(make_date({{ derived_first_year() }}, 1, 1), cast('{{ var("first_period") }}' as date))
    on conflict (model) do update
        set
            loaded_through = excluded.loaded_through,
            closed_through = excluded.closed_through,
            rebuilt_from = excluded.rebuilt_from,
            recorded_at = now()
{%- endmacro %}

{#
    Pre-hook of a mart derived period by period from incremental fact `model` (derived_cutoff): records the first
    period its build rewrites (the whole mart on a full refresh), read back by its delete+insert
    (`incremental_predicates`, with rebuilt_from), so the delete finds the rows of those periods through the mart's
    period_month index instead of reading the whole mart. Both read the fact's record, which does not change while
    the mart builds.
#}
{% macro record_derived_periods(model) -%}
    insert into {{ incremental_state_schema() }}.{{ incremental_state_table() }} (model, rebuilt_from)
    select
        '{{ this.schema }}.{{ this.identifier }}',
        {% if is_incremental() -%}
            {{ derived_cutoff(model) }}
        {%- else -%}
            cast('{{ var("first_period") }}' as date)
        {%- endif %}
    on conflict (model) do update set rebuilt_from = excluded.rebuilt_from, recorded_at = now()
{%- endmacro %}

{#
    The config of a model replaced period by period (delete+insert, a period whole): `model` is its schema.name,
    `pre_hook` what records the first period its build rewrites (the delete reads the periods from there on,
    through the period_month index). Use as `{{ config(**period_replacement('schema.name', pre_hook="...")) }}`.
#}
{% macro period_replacement(model, pre_hook) -%}
    {%- do return({
        'materialized': 'incremental',
        'incremental_strategy': 'delete+insert',
        'unique_key': 'period_month',
        'on_schema_change': 'fail',
        'indexes': [{'columns': ['period_month']}],
        'pre_hook': pre_hook,
        'incremental_predicates': ['DBT_INTERNAL_DEST.period_month >= ' ~ rebuilt_from(model)],
    }) -%}
{%- endmacro %}

{#
    The config of a model derived year by year (derived_first_year): delete+insert of whole years, keyed and indexed
    by `year_column`. Use as `{{ config(**year_replacement('value_year')) }}`.
#}
{% macro year_replacement(year_column) -%}
    {%- do return({
        'materialized': 'incremental',
        'incremental_strategy': 'delete+insert',
        'unique_key': year_column,
        'on_schema_change': 'fail',
        'indexes': [{'columns': [year_column]}],
        'pre_hook': '{{ record_derived_years() }}',
    }) -%}
{%- endmacro %}
