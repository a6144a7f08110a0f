-- Reference tables, replaced whole from include/seeds/ on every run. The fact tables of core and marts
-- are the models' (include/sql/core/, include/sql/marts/): their DDL is made from each model's YAML.
create table if not exists core.trading_calendar (
    trade_date date not null,
    prev_session date,
    is_southbound_day boolean not null
);
create table if not exists core.securities (
    stock_code varchar not null,
    name varchar not null,
    sector varchar not null,
    security_type varchar not null,
    board varchar not null
);
create table if not exists core.indices (
    index_code varchar not null,
    name varchar not null,
    yahoo_ticker varchar not null
);
create table if not exists core.index_constituents (
    index_code varchar not null,
    stock_code varchar not null
);
create table if not exists core.security_groups (
    group_type varchar not null,
    group_name varchar not null,
    stock_code varchar not null
);
