-- The analyst-facing contract. Codes are HKEX five-digit stock codes as text ('00700'); index codes
-- are 'HSI', 'HSCEI', 'HSTECH'. Percentages are in percent (-1.96 means -1.96 %), percentage-point
-- changes in points, money in HKD.

create table if not exists marts.security_daily (
    trade_date date not null,
    stock_code varchar not null,
    name varchar,
    sector varchar,
    security_type varchar,
    close double not null,
    prev_close double,
    change_pct double,
    volume bigint,
    turnover_hkd double,
    short_turnover_hkd double,
    short_sell_ratio_pct double
);
comment on table marts.security_daily is 'One row per trading day and security: close, change against the previous session, turnover and short selling.';
comment on column marts.security_daily.trade_date is 'HKEX trading session (Asia/Hong_Kong date).';
comment on column marts.security_daily.stock_code is 'HKEX stock code, five digits as text, e.g. ''00700''.';
comment on column marts.security_daily.name is 'Security name (curated universe; NULL for a code outside it).';
comment on column marts.security_daily.sector is 'Primary sector (Hang Seng Industry Classification), ''Funds & ETFs'' for ETFs, ''Unclassified'' outside the curated universe.';
comment on column marts.security_daily.security_type is '''equity'' or ''etf''.';
comment on column marts.security_daily.close is 'Closing price in HKD, unadjusted.';
comment on column marts.security_daily.prev_close is 'Close of the previous HKEX session in HKD (across holidays).';
comment on column marts.security_daily.change_pct is 'Change of close against prev_close, in percent.';
comment on column marts.security_daily.volume is 'Shares traded.';
comment on column marts.security_daily.turnover_hkd is 'Turnover in HKD: HKEX''s from its Daily Quotations where printed (the sample''s pages print the estimate below, to the whole HK$); else (GEM, a session loaded before HKEX published, the full-market benchmark sample) volume times the typical price (high + low + close) / 3, flagged in raw.prices.turnover_estimated.';
comment on column marts.security_daily.short_turnover_hkd is 'Short selling turnover in HKD from HKEX''s daily short selling report; 0 when none was reported; NULL (unknown) when the session''s short selling is not loaded, and for a GEM security on a session whose short selling came from the Main Board''s Daily Quotations page alone (the live source, for a session before the latest).';
comment on column marts.security_daily.short_sell_ratio_pct is 'short_turnover_hkd over turnover_hkd, in percent.';

create table if not exists marts.market_summary (
    trade_date date not null,
    index_code varchar not null,
    index_name varchar,
    close double not null,
    prev_close double,
    change_pct double,
    constituents_turnover_hkd double,
    short_turnover_hkd double,
    short_sell_ratio_pct double,
    short_sell_ratio_change_pp double
);
comment on table marts.market_summary is 'One row per trading day and index (HSI, HSCEI, HSTECH): level, change and the short selling ratio of its constituents.';
comment on column marts.market_summary.trade_date is 'HKEX trading session.';
comment on column marts.market_summary.index_code is '''HSI'', ''HSCEI'' or ''HSTECH''.';
comment on column marts.market_summary.index_name is 'Full index name.';
comment on column marts.market_summary.close is 'Index close in points.';
comment on column marts.market_summary.prev_close is 'Index close of the previous HKEX session in points.';
comment on column marts.market_summary.change_pct is 'Change of close against prev_close, in percent.';
comment on column marts.market_summary.constituents_turnover_hkd is 'Turnover of the index constituents in HKD.';
comment on column marts.market_summary.short_turnover_hkd is 'Short selling turnover of the index constituents in HKD.';
comment on column marts.market_summary.short_sell_ratio_pct is 'Short selling turnover over turnover of the index constituents, in percent.';
comment on column marts.market_summary.short_sell_ratio_change_pp is 'Change of short_sell_ratio_pct against the previous HKEX session, in percentage points; NULL when that session is not loaded.';

create table if not exists marts.southbound_daily (
    trade_date date not null,
    channel varchar not null,
    buy_hkd double not null,
    sell_hkd double not null,
    net_buy_hkd double not null,
    ytd_net_buy_hkd double not null,
    ytd_sessions_loaded integer not null,
    ytd_sessions_expected integer not null,
    ytd_complete boolean not null
);
comment on table marts.southbound_daily is 'One row per southbound trading day and channel (SSE, SZSE, TOTAL): Stock Connect southbound turnover into Hong Kong.';
comment on column marts.southbound_daily.trade_date is 'Southbound trading day (both Hong Kong and Shanghai open).';
comment on column marts.southbound_daily.channel is '''SSE'' (Shanghai-Hong Kong), ''SZSE'' (Shenzhen-Hong Kong) or ''TOTAL'' (both).';
comment on column marts.southbound_daily.buy_hkd is 'Southbound buy turnover in HKD.';
comment on column marts.southbound_daily.sell_hkd is 'Southbound sell turnover in HKD.';
comment on column marts.southbound_daily.net_buy_hkd is 'buy_hkd minus sell_hkd: positive is a net inflow into Hong Kong.';
comment on column marts.southbound_daily.ytd_net_buy_hkd is 'Sum of net_buy_hkd over the loaded southbound days of the calendar year up to and including trade_date.';
comment on column marts.southbound_daily.ytd_sessions_loaded is 'Southbound days of the year up to trade_date that are loaded.';
comment on column marts.southbound_daily.ytd_sessions_expected is 'Southbound days of the year up to trade_date on the calendar.';
comment on column marts.southbound_daily.ytd_complete is 'Whether every southbound day of the year so far is loaded, i.e. whether ytd_net_buy_hkd is the true year to date.';

create table if not exists marts.sector_daily (
    trade_date date not null,
    sector varchar not null,
    securities integer not null,
    advancers integer not null,
    decliners integer not null,
    avg_change_pct double,
    median_change_pct double,
    turnover_hkd double,
    short_sell_ratio_pct double,
    best_stock_code varchar,
    best_change_pct double,
    worst_stock_code varchar,
    worst_change_pct double
);
comment on table marts.sector_daily is 'One row per trading day and sector: breadth, average and median move, turnover, short selling ratio, best and worst stock.';
comment on column marts.sector_daily.trade_date is 'HKEX trading session.';
comment on column marts.sector_daily.sector is 'Primary sector; each security has exactly one.';
comment on column marts.sector_daily.securities is 'Securities of the sector that traded that day.';
comment on column marts.sector_daily.advancers is 'Securities that closed up.';
comment on column marts.sector_daily.decliners is 'Securities that closed down.';
comment on column marts.sector_daily.avg_change_pct is 'Mean of change_pct, in percent (unweighted).';
comment on column marts.sector_daily.median_change_pct is 'Median of change_pct, in percent.';
comment on column marts.sector_daily.turnover_hkd is 'Total turnover in HKD.';
comment on column marts.sector_daily.short_sell_ratio_pct is 'Short selling turnover over turnover of the members whose short selling is known, in percent.';
comment on column marts.sector_daily.best_stock_code is 'Stock with the highest change_pct (lowest code on a tie).';
comment on column marts.sector_daily.best_change_pct is 'Its change_pct, in percent.';
comment on column marts.sector_daily.worst_stock_code is 'Stock with the lowest change_pct (lowest code on a tie).';
comment on column marts.sector_daily.worst_change_pct is 'Its change_pct, in percent.';

create table if not exists marts.theme_daily (
    trade_date date not null,
    theme varchar not null,
    securities integer not null,
    advancers integer not null,
    decliners integer not null,
    avg_change_pct double,
    median_change_pct double,
    turnover_hkd double,
    short_sell_ratio_pct double,
    best_stock_code varchar,
    best_change_pct double,
    worst_stock_code varchar,
    worst_change_pct double
);
comment on table marts.theme_daily is 'One row per trading day and theme (curated baskets such as Gold, Property, Semiconductors, Crypto-related, Bitcoin ETFs; a security may be in several).';
comment on column marts.theme_daily.trade_date is 'HKEX trading session.';
comment on column marts.theme_daily.theme is 'Theme name, from include/seeds/themes.csv.';
comment on column marts.theme_daily.securities is 'Securities of the theme that traded that day.';
comment on column marts.theme_daily.advancers is 'Securities that closed up.';
comment on column marts.theme_daily.decliners is 'Securities that closed down.';
comment on column marts.theme_daily.avg_change_pct is 'Mean of change_pct, in percent (unweighted).';
comment on column marts.theme_daily.median_change_pct is 'Median of change_pct, in percent.';
comment on column marts.theme_daily.turnover_hkd is 'Total turnover in HKD.';
comment on column marts.theme_daily.short_sell_ratio_pct is 'Short selling turnover over turnover of the members whose short selling is known, in percent.';
comment on column marts.theme_daily.best_stock_code is 'Stock with the highest change_pct (lowest code on a tie).';
comment on column marts.theme_daily.best_change_pct is 'Its change_pct, in percent.';
comment on column marts.theme_daily.worst_stock_code is 'Stock with the lowest change_pct (lowest code on a tie).';
comment on column marts.theme_daily.worst_change_pct is 'Its change_pct, in percent.';

create table if not exists marts.movers_daily (
    trade_date date not null,
    direction varchar not null,
    rank integer not null,
    stock_code varchar not null,
    name varchar,
    sector varchar,
    close double not null,
    change_pct double not null,
    volume bigint,
    turnover_hkd double
);
comment on table marts.movers_daily is 'Top 10 gainers and losers per trading day among liquid securities (turnover at least HK$20 million and close at least HK$0.50, which keeps illiquid penny stocks out).';
comment on column marts.movers_daily.trade_date is 'HKEX trading session.';
comment on column marts.movers_daily.direction is '''gainer'' (change_pct > 0) or ''loser'' (change_pct < 0).';
comment on column marts.movers_daily.rank is '1 is the largest move in that direction.';
comment on column marts.movers_daily.stock_code is 'HKEX stock code, five digits as text.';
comment on column marts.movers_daily.name is 'Security name.';
comment on column marts.movers_daily.sector is 'Primary sector.';
comment on column marts.movers_daily.close is 'Closing price in HKD.';
comment on column marts.movers_daily.change_pct is 'Change against the previous session''s close, in percent.';
comment on column marts.movers_daily.volume is 'Shares traded.';
comment on column marts.movers_daily.turnover_hkd is 'Turnover in HKD.';

create table if not exists marts.macro_daily (
    trade_date date not null,
    instrument varchar not null,
    close_date date not null,
    close double not null,
    prev_close double,
    change_pct double
);
comment on table marts.macro_daily is 'One row per trading day and market driver (Bitcoin, the US dollar index, gold, USD/CNH, from Yahoo Finance): its latest close on or before the HKEX session, and its move.';
comment on column marts.macro_daily.trade_date is 'HKEX trading session.';
comment on column marts.macro_daily.instrument is 'Yahoo Finance ticker: ''BTC-USD'' (Bitcoin in US$), ''DX-Y.NYB'' (US dollar index, ICE), ''GC=F'' (gold futures, COMEX, US$ an ounce), ''CNH=X'' (offshore yuan per US$).';
comment on column marts.macro_daily.close_date is 'The instrument''s own trading day whose close this is: the latest on or before trade_date (Bitcoin trades every day; on a US holiday the dollar index and gold keep the previous US day''s close).';
comment on column marts.macro_daily.close is 'Close in the instrument''s unit: US$ (Bitcoin; gold an ounce), index points (dollar index), CNH per US$.';
comment on column marts.macro_daily.prev_close is 'The instrument''s close on its own trading day before close_date.';
comment on column marts.macro_daily.change_pct is 'Change of close against prev_close, in percent.';
