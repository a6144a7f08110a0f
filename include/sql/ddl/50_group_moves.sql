-- Day-level moves of a group of securities (a sector or a theme), shared by marts.sector_daily and
-- marts.theme_daily so both aggregate the same way.
create or replace macro core.group_moves(kind, start_day, end_day) as table
with members as (
    select group_name, stock_code from core.security_groups where group_type = kind
),
member_days as (
    select m.group_name, s.*
    from marts.security_daily as s
    join members as m using (stock_code)
    where s.trade_date between start_day and end_day
)
select
    trade_date,
    group_name,
    count(*) as securities,
    count(*) filter (where change_pct > 0) as advancers,
    count(*) filter (where change_pct < 0) as decliners,
    core.avg_pct(change_pct) as avg_change_pct,
    median(change_pct) as median_change_pct,
    core.sum_hkd(turnover_hkd) as turnover_hkd,
    -- over the members whose short selling is known (not GEM's on a session read from Daily Quotations alone)
    100 * core.sum_hkd(short_turnover_hkd)
        / nullif(core.sum_hkd(case when short_turnover_hkd is not null then turnover_hkd end), 0)
        as short_sell_ratio_pct,
    first(stock_code order by change_pct desc nulls last, stock_code) as best_stock_code,
    max(change_pct) as best_change_pct,
    first(stock_code order by change_pct asc nulls last, stock_code) as worst_stock_code,
    min(change_pct) as worst_change_pct
from member_days
group by trade_date, group_name;
