-- A security without a short selling row had no short selling that day (or is not shortable).
with prices as (
    select * from core.security_prices where trade_date between $start and $end
),

short_selling as (
    select * from core.short_selling where trade_date between $start and $end
)

select
    p.trade_date,
    p.stock_code,
    s.name,
    coalesce(s.sector, 'Unclassified') as sector,
    s.security_type,
    p.close,
    p.prev_close,
    p.change_pct,
    p.volume,
    p.turnover_hkd,
    coalesce(ss.short_turnover_hkd, 0) as short_turnover_hkd,
    100 * coalesce(ss.short_turnover_hkd, 0) / nullif(p.turnover_hkd, 0) as short_sell_ratio_pct
from prices as p
left join core.securities as s using (stock_code)
left join short_selling as ss using (trade_date, stock_code)
