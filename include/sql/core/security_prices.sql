-- Securities' daily bars from raw.prices (indices go to core.index_prices).
select
    trade_date,
    stock_code,
    open,
    high,
    low,
    close,
    prev_close,
    volume,
    turnover_hkd,
    100 * (close / prev_close - 1) as change_pct
from raw.prices
where
    trade_date between $start and $end
    and stock_code not in (select i.index_code from core.indices as i)
