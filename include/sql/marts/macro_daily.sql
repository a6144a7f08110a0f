-- A driver's move is against its own previous trading day's close, not the previous HKEX session's: Bitcoin's
-- previous calendar day, the dollar index's and gold's previous US trading day. A session on a US holiday keeps
-- the previous US day's close, and so its move.
select
    trade_date,
    instrument,
    close_date,
    close,
    prev_close,
    (close / prev_close - 1) * 100 as change_pct
from core.macro_closes
where trade_date between $start and $end
