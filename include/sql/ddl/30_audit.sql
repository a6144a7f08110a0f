create table if not exists audit.runs (
    run_id varchar not null,
    first_session date not null,
    last_session date not null,
    source varchar not null,
    dataset varchar not null,
    rows_loaded bigint not null,
    loaded_at timestamp not null
);
create table if not exists audit.validation_results (
    run_id varchar not null,
    dataset varchar not null,
    first_session date not null,
    last_session date not null,
    expectation varchar not null,
    column_name varchar,
    severity varchar not null,
    success boolean not null,
    observed varchar,
    recorded_at timestamp not null
);
create table if not exists audit.schema_version (
    ddl_sha256 varchar not null,
    applied_at timestamp not null
);
comment on table audit.schema_version is 'The SHA-256 of the DDL (include/sql/ddl/) last applied to this warehouse, and when.';
comment on table audit.runs is 'One row per dataset loaded by a run: the window of sessions and the rows loaded.';
comment on table audit.validation_results is 'Every expectation evaluated by validation, per run, dataset and window of sessions, with its outcome.';

-- Rows that broke a validation expectation, with the expectation; the day they belong to never
-- reaches core or marts.
create table if not exists audit.quarantine_prices as
select
    * exclude (source, run_id, loaded_at),
    ''::varchar as expectation,
    ''::varchar as run_id,
    now()::timestamp as quarantined_at
from raw.prices
where false;
create table if not exists audit.quarantine_short_selling as
select
    * exclude (source, run_id, loaded_at),
    ''::varchar as expectation,
    ''::varchar as run_id,
    now()::timestamp as quarantined_at
from raw.short_selling
where false;
create table if not exists audit.quarantine_southbound as
select
    * exclude (source, run_id, loaded_at),
    ''::varchar as expectation,
    ''::varchar as run_id,
    now()::timestamp as quarantined_at
from raw.southbound
where false;
create table if not exists audit.quarantine_macro as
select
    * exclude (source, run_id, loaded_at),
    ''::varchar as expectation,
    ''::varchar as run_id,
    now()::timestamp as quarantined_at
from raw.macro
where false;
