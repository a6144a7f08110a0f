-- A theme's day is its members' rows of marts.security_daily summarised by core.group_summary.
with members as (
    select
        group_name as theme,
        stock_code
    from core.security_groups
    where group_type = 'theme'
),

theme_days as (
    select
        s.trade_date,
        m.theme,
        core.group_summary(s.stock_code, s.change_pct, s.turnover_hkd, s.short_turnover_hkd) as moves
    from marts.security_daily as s
    inner join members as m on s.stock_code = m.stock_code
    where s.trade_date between $start and $end
    group by s.trade_date, m.theme
)

select
    trade_date,
    theme,
    -- a struct's unnest is its fields, each a column named after it: nothing to alias
    unnest(moves)  -- noqa: AL03
from theme_days
