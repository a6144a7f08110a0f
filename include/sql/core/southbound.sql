select
    trade_date,
    channel,
    buy_hkd,
    sell_hkd,
    buy_hkd - sell_hkd as net_buy_hkd
from raw.southbound
where trade_date between $start and $end
