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
