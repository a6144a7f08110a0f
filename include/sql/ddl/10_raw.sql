-- Landing frames as loaded, one transaction per window of sessions; no primary keys (bulk loads),
-- uniqueness is checked by validation before a load.
create table if not exists raw.prices (
    trade_date date not null,
    stock_code varchar not null,
    open double,
    high double,
    low double,
    close double,
    prev_close double,
    volume bigint,
    turnover_hkd double,
    turnover_estimated boolean,
    split_ratio double,
    source varchar not null,
    run_id varchar not null,
    loaded_at timestamp not null
);
create table if not exists raw.short_selling (
    trade_date date not null,
    stock_code varchar not null,
    short_shares bigint,
    short_turnover_hkd double,
    from_daily_quotations boolean,
    source varchar not null,
    run_id varchar not null,
    loaded_at timestamp not null
);
create table if not exists raw.southbound (
    trade_date date not null,
    channel varchar not null,
    buy_hkd double,
    sell_hkd double,
    total_turnover_hkd double,
    source varchar not null,
    run_id varchar not null,
    loaded_at timestamp not null
);
-- Warehouses created before HKEX's Total Turnover was landed, before estimated turnover was flagged, or
-- before Yahoo's declared splits were landed (raw.prices.split_ratio: the ratio on a split's ex-date, 1.0 for
-- none; NULL on rows loaded before it, which were never checked against a split).
alter table raw.southbound add column if not exists total_turnover_hkd double;
alter table raw.prices add column if not exists turnover_estimated boolean;
alter table raw.short_selling add column if not exists from_daily_quotations boolean;
alter table raw.prices add column if not exists split_ratio double;
create table if not exists raw.macro (
    trade_date date not null,
    instrument varchar not null,
    close_date date,
    close double,
    prev_close double,
    source varchar not null,
    run_id varchar not null,
    loaded_at timestamp not null
);
