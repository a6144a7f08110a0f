-- The short selling ratio of an index is its constituents' short turnover over their turnover.
-- The point change compares with the previous HKEX session, which may lie before the window.
-- Turnovers come from marts.security_daily (built first): no second join of the prices with short selling.
with window_days as (
    select
        trade_date,
        prev_session
    from core.trading_calendar
    where trade_date between $start and $end
),

ratio_days as (
    select trade_date from window_days
    union
    select prev_session from window_days
),

constituent_days as (
    select
        c.index_code,
        s.trade_date,
        core.sum_hkd(s.turnover_hkd) as constituents_turnover_hkd,
        core.sum_hkd(s.short_turnover_hkd) as short_turnover_hkd
    from marts.security_daily as s
    inner join core.index_constituents as c on s.stock_code = c.stock_code
    where s.trade_date in (select d.trade_date from ratio_days as d)
    group by c.index_code, s.trade_date
),

ratios as (
    select
        *,
        100 * short_turnover_hkd / nullif(constituents_turnover_hkd, 0) as short_sell_ratio_pct
    from constituent_days
)

select
    i.trade_date,
    i.index_code,
    x.name as index_name,
    i.close,
    i.prev_close,
    i.change_pct,
    r.constituents_turnover_hkd,
    r.short_turnover_hkd,
    r.short_sell_ratio_pct,
    r.short_sell_ratio_pct - prev.short_sell_ratio_pct as short_sell_ratio_change_pp
from core.index_prices as i
inner join window_days as w on i.trade_date = w.trade_date
left join core.indices as x on i.index_code = x.index_code
left join ratios as r on i.index_code = r.index_code and i.trade_date = r.trade_date
left join ratios as prev on i.index_code = prev.index_code and w.prev_session = prev.trade_date
