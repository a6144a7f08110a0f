-- The liquidity floor (HK$20 million turnover, HK$0.50 close) keeps illiquid penny stocks out.
-- Top 10 per day with a bounded max_by/min_by rather than ranking every row; ties go to the lower code.
with liquid as (
    select
        *,
        struct_pack(change_pct, code_order := -stock_code::integer) as gainer_key,
        struct_pack(change_pct, code_order := stock_code::integer) as loser_key,
        struct_pack(stock_code, name, sector, close, change_pct, volume, turnover_hkd) as mover
    from marts.security_daily
    where trade_date between $start and $end
        and turnover_hkd >= 20e6
        and close >= 0.5
        and change_pct is not null
),

top_ten as (
    select
        trade_date,
        max_by(mover, gainer_key, 10) filter (where change_pct > 0) as gainers,
        min_by(mover, loser_key, 10) filter (where change_pct < 0) as losers
    from liquid
    group by trade_date
),

movers as (
    select trade_date, 'gainer' as direction, unnest(gainers) as mover, generate_subscripts(gainers, 1) as rank
    from top_ten
    union all
    select trade_date, 'loser' as direction, unnest(losers) as mover, generate_subscripts(losers, 1) as rank
    from top_ten
)

select trade_date, direction, rank, mover.*
from movers
