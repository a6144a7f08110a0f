-- Rows loaded before from_daily_quotations was landed came from day-close reports or are not told apart.
select
    trade_date,
    stock_code,
    short_shares,
    short_turnover_hkd,
    coalesce(from_daily_quotations, false) as from_daily_quotations
from raw.short_selling
where trade_date between $start and $end
