-- Reference tables are replaced whole from include/seeds/ on every run; fact tables are rebuilt
-- per window of sessions by the models in include/sql/core/.
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
create table if not exists core.security_prices (
    trade_date date not null,
    stock_code varchar not null,
    open double,
    high double,
    low double,
    close double not null,
    prev_close double,
    change_pct double,
    volume bigint,
    turnover_hkd double
);
create table if not exists core.index_prices (
    trade_date date not null,
    index_code varchar not null,
    open double,
    high double,
    low double,
    close double not null,
    prev_close double,
    change_pct double
);
create table if not exists core.short_selling (
    trade_date date not null,
    stock_code varchar not null,
    short_shares bigint not null,
    short_turnover_hkd double not null,
    from_daily_quotations boolean  -- Main Board only: the session's GEM figures are unknown
);
create table if not exists core.southbound (
    trade_date date not null,
    channel varchar not null,
    buy_hkd double not null,
    sell_hkd double not null,
    net_buy_hkd double not null
);
-- Warehouses created before short selling read from Daily Quotations pages was told apart.
alter table core.short_selling add column if not exists from_daily_quotations boolean;
create table if not exists core.macro_closes (
    trade_date date not null,
    instrument varchar not null,
    close_date date not null,
    close double not null,
    prev_close double
);
