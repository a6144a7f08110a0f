-- A sector's day is its members' rows of marts.security_daily summarised by core.group_summary.
with members as (
    select
        group_name as sector,
        stock_code
    from core.security_groups
    where group_type = 'sector'
),

sector_days as (
    select
        s.trade_date,
        m.sector,
        core.group_summary(s.stock_code, s.change_pct, s.turnover_hkd, s.short_turnover_hkd) as moves
    from marts.security_daily as s
    inner join members as m on s.stock_code = m.stock_code
    where s.trade_date between $start and $end
    group by s.trade_date, m.sector
)

select
    trade_date,
    sector,
    -- a struct's unnest is its fields, each a column named after it: nothing to alias
    unnest(moves)  -- noqa: AL03
from sector_days
