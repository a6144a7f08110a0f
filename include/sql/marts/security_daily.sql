-- A security without a short selling row had no short selling that day (or is not shortable). Unknown (NULL)
-- instead: every security on a session with no short selling loaded, and a GEM security on a session whose
-- short selling came from Daily Quotations pages alone (the Main Board's).
with prices as (
    select * from core.security_prices
    where trade_date between $start and $end
),

short_selling as (
    select
        trade_date,
        stock_code,
        short_turnover_hkd as reported_hkd
    from core.short_selling
    where trade_date between $start and $end
),

reported as (
    select
        trade_date,
        bool_and(from_daily_quotations) as main_board_only
    from core.short_selling
    where trade_date between $start and $end
    group by trade_date
)

select
    p.trade_date,
    p.stock_code,
    s.name,
    s.security_type,
    p.close,
    p.prev_close,
    p.change_pct,
    p.volume,
    p.turnover_hkd,
    coalesce(s.sector, 'Unclassified') as sector,
    case
        when ss.reported_hkd is not null then ss.reported_hkd
        when r.trade_date is null or (s.board = 'GEM' and r.main_board_only) then null
        else 0
    end as short_turnover_hkd,
    100 * short_turnover_hkd / nullif(p.turnover_hkd, 0) as short_sell_ratio_pct
from prices as p
left join core.securities as s using (stock_code)
left join short_selling as ss using (trade_date, stock_code)
left join reported as r using (trade_date)
