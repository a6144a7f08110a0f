-- Each session's latest close of each driver on or before it, as landed: the parse takes it on the
-- instrument's own calendar (a US holiday keeps the previous US day's close), so no session lookup here.
select
    trade_date,
    instrument,
    close_date,
    close,
    prev_close
from raw.macro
where trade_date between $start and $end
