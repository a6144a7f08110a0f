select
    trade_date,
    stock_code as index_code,
    open,
    high,
    low,
    close,
    prev_close,
    100 * (close / prev_close - 1) as change_pct
from raw.prices
where
    trade_date between $start and $end
    and stock_code in (select i.index_code from core.indices as i)
