-- The marts as an analyst reads them in a SQL IDE: the marts keep doubles (the pipeline sums and compares
-- them), which harlequin shows as 19435.8 or 5.83585e+10. These views show the same rows with fixed places:
-- stock prices to HK$0.001 (HKEX's tick), index levels to 0.01, percentages and points to 0.01, money in
-- HK$ million to 0.01 (the unit in the column's name, as HKEX prints Stock Connect's), the market's drivers
-- to 0.0001 (USD/CNH's places; Bitcoin, gold and the dollar index print fewer).
create schema if not exists readable;

-- The places, once: analysts can call these too (readable.hkd_m(sum(turnover_hkd))).
create or replace macro readable.price(amount) as amount::decimal(18, 3);
create or replace macro readable.index_level(level) as level::decimal(18, 2);
create or replace macro readable.pct(percent) as percent::decimal(9, 2);
create or replace macro readable.hkd_m(hkd) as (hkd / 1e6)::decimal(18, 2);
create or replace macro readable.driver_level(level) as level::decimal(18, 4);

create or replace view readable.security_daily as
select
    trade_date,
    stock_code,
    name,
    sector,
    security_type,
    readable.price(close) as close,
    readable.price(prev_close) as prev_close,
    readable.pct(change_pct) as change_pct,
    volume,
    readable.hkd_m(turnover_hkd) as turnover_hkd_m,
    readable.hkd_m(short_turnover_hkd) as short_turnover_hkd_m,
    readable.pct(short_sell_ratio_pct) as short_sell_ratio_pct
from marts.security_daily;

create or replace view readable.market_summary as
select
    trade_date,
    index_code,
    index_name,
    readable.index_level(close) as close,
    readable.index_level(prev_close) as prev_close,
    readable.pct(change_pct) as change_pct,
    readable.hkd_m(constituents_turnover_hkd) as constituents_turnover_hkd_m,
    readable.hkd_m(short_turnover_hkd) as short_turnover_hkd_m,
    readable.pct(short_sell_ratio_pct) as short_sell_ratio_pct,
    readable.pct(short_sell_ratio_change_pp) as short_sell_ratio_change_pp
from marts.market_summary;

create or replace view readable.southbound_daily as
select
    trade_date,
    channel,
    readable.hkd_m(buy_hkd) as buy_hkd_m,
    readable.hkd_m(sell_hkd) as sell_hkd_m,
    readable.hkd_m(net_buy_hkd) as net_buy_hkd_m,
    readable.hkd_m(ytd_net_buy_hkd) as ytd_net_buy_hkd_m,
    ytd_sessions_loaded,
    ytd_sessions_expected,
    ytd_complete
from marts.southbound_daily;

-- Sectors and themes share one shape: only the group's column differs.
create or replace macro readable.group_moves(group_table) as table
    select
        * exclude (
            avg_change_pct, median_change_pct, turnover_hkd, short_sell_ratio_pct, best_change_pct,
            worst_change_pct, best_stock_code, worst_stock_code
        ),
        readable.pct(avg_change_pct) as avg_change_pct,
        readable.pct(median_change_pct) as median_change_pct,
        readable.hkd_m(turnover_hkd) as turnover_hkd_m,
        readable.pct(short_sell_ratio_pct) as short_sell_ratio_pct,
        best_stock_code,
        readable.pct(best_change_pct) as best_change_pct,
        worst_stock_code,
        readable.pct(worst_change_pct) as worst_change_pct
    from query_table(group_table);

create or replace view readable.sector_daily as from readable.group_moves('marts.sector_daily');

create or replace view readable.theme_daily as from readable.group_moves('marts.theme_daily');

create or replace view readable.movers_daily as
select
    trade_date,
    direction,
    rank,
    stock_code,
    name,
    sector,
    readable.price(close) as close,
    readable.pct(change_pct) as change_pct,
    volume,
    readable.hkd_m(turnover_hkd) as turnover_hkd_m
from marts.movers_daily;

create or replace view readable.macro_daily as
select
    trade_date,
    instrument,
    close_date,
    readable.driver_level(close) as close,
    readable.driver_level(prev_close) as prev_close,
    readable.pct(change_pct) as change_pct
from marts.macro_daily;

-- Which source each session an analyst sees came from: each dataset's latest load covering the session (a
-- load replaces its sessions), as the run summary and the wrap read it; 'sample' if any dataset's is.
create or replace view readable.sessions as
with market_sessions as (
    select trade_date from marts.security_daily
    union
    select trade_date from marts.market_summary
    union
    select trade_date from marts.southbound_daily
),

latest_loads as (
    select
        market_sessions.trade_date,
        runs.dataset,
        arg_max(runs.source, runs.loaded_at) as source,
        arg_max(runs.run_id, runs.loaded_at) as run_id,
        max(runs.loaded_at) as loaded_at
    from market_sessions
    inner join audit.runs as runs
        on market_sessions.trade_date between runs.first_session and runs.last_session
    group by all
)

select
    market_sessions.trade_date,
    case when bool_or(latest_loads.source = 'sample') then 'sample' else any_value(latest_loads.source) end
        as source,
    max(latest_loads.loaded_at) as loaded_at,
    arg_max(latest_loads.run_id, latest_loads.loaded_at) as run_id
from market_sessions
left join latest_loads on market_sessions.trade_date = latest_loads.trade_date
group by market_sessions.trade_date
order by market_sessions.trade_date;

comment on view readable.security_daily is
'marts.security_daily to read: prices to 0.001, percentages to 0.01, money in HK$ million (_hkd_m).';
comment on view readable.market_summary is
'marts.market_summary to read: index levels, percentages and points to 0.01, money in HK$ million (_hkd_m).';
comment on view readable.southbound_daily is 'marts.southbound_daily to read: money in HK$ million (_hkd_m).';
comment on view readable.sector_daily is
'marts.sector_daily to read: percentages to 0.01, money in HK$ million (_hkd_m).';
comment on view readable.theme_daily is
'marts.theme_daily to read: percentages to 0.01, money in HK$ million (_hkd_m).';
comment on view readable.movers_daily is
'marts.movers_daily to read: prices to 0.001, percentages to 0.01, money in HK$ million (_hkd_m).';
comment on view readable.sessions is
'One row per session in the marts: the source it was loaded from (sample or live), when, and by which run.';
