select
    trade_date,
    stock_code,
    short_shares,
    short_turnover_hkd,
    from_daily_quotations
from raw.short_selling
where trade_date between $start and $end
