-- The liquidity floor (HK$20 million turnover, HK$0.50 close) keeps illiquid penny stocks out.
with liquid as (
    select *
    from marts.security_daily
    where trade_date between $start and $end
        and turnover_hkd >= 20e6
        and close >= 0.5
        and change_pct is not null
),

ranked as (
    select
        *,
        row_number() over (partition by trade_date order by change_pct desc, stock_code) as gainer_rank,
        row_number() over (partition by trade_date order by change_pct asc, stock_code) as loser_rank
    from liquid
),

movers as (
    select *, 'gainer' as direction, gainer_rank as rank from ranked where gainer_rank <= 10 and change_pct > 0
    union all
    select *, 'loser' as direction, loser_rank as rank from ranked where loser_rank <= 10 and change_pct < 0
)

select trade_date, direction, rank, stock_code, name, sector, close, change_pct, volume, turnover_hkd
from movers
