-- Year-to-date sums need every loaded day of the year before the window, so the channels are read
-- from the first year of the window; ytd_complete compares loaded days with the calendar's.
with channels as (
    select
        trade_date,
        channel,
        buy_hkd,
        sell_hkd,
        net_buy_hkd
    from core.southbound
    where trade_date between make_date(year($start::date), 1, 1) and $end
),

with_total as (
    select * from channels
    union all
    select
        trade_date,
        'TOTAL' as channel,
        core.sum_hkd(buy_hkd) as buy_hkd,
        core.sum_hkd(sell_hkd) as sell_hkd,
        core.sum_hkd(net_buy_hkd) as net_buy_hkd
    from channels
    group by trade_date
),

year_to_date as (
    select
        *,
        sum(net_buy_hkd::decimal(18, 2)) over (
            partition by channel, year(trade_date) order by trade_date
        )::double as ytd_net_buy_hkd,
        count(*) over (
            partition by channel, year(trade_date) order by trade_date
        ) as ytd_sessions_loaded
    from with_total
),

expected as (
    select
        trade_date,
        count(*) over (partition by year(trade_date) order by trade_date) as ytd_sessions_expected
    from core.trading_calendar
    where is_southbound_day
)

select
    y.trade_date,
    y.channel,
    y.buy_hkd,
    y.sell_hkd,
    y.net_buy_hkd,
    y.ytd_net_buy_hkd,
    y.ytd_sessions_loaded,
    e.ytd_sessions_expected,
    y.ytd_sessions_loaded = e.ytd_sessions_expected as ytd_complete
from year_to_date as y
inner join expected as e using (trade_date)
where y.trade_date between $start and $end
