-- Securities' daily bars from raw.prices (indices go to core.index_prices).
select
    trade_date,
    stock_code,
    open,
    high,
    low,
    close,
    prev_close,
    100 * (close / prev_close - 1) as change_pct,
    volume,
    turnover_hkd
from raw.prices
where trade_date between $start and $end
    and stock_code not in (select index_code from core.indices)
