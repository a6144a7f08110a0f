-- The liquidity floor (HK$20 million turnover, HK$0.50 close) keeps illiquid penny stocks out.
-- Each day's tenth largest move up and down comes first (over the moves alone); only the rows at or
-- beyond it, a filter the scan applies, are then ranked. Ties go to the lower code. Not materialized:
-- each reader scans marts.security_daily with its own filters rather than buffering every liquid row.
with liquid as not materialized (
    select
        trade_date,
        stock_code,
        name,
        sector,
        close,
        change_pct,
        volume,
        turnover_hkd
    from marts.security_daily
    where
        trade_date between $start and $end
        and turnover_hkd >= 20e6
        and close >= 0.5
        and change_pct is not null
),

cutoffs as (
    select
        trade_date,
        list_min(max(change_pct, 10) filter (where change_pct > 0)) as gainer_cutoff,
        list_max(min(change_pct, 10) filter (where change_pct < 0)) as loser_cutoff
    from liquid
    group by trade_date
),

gainers as (
    select
        l.trade_date,
        'gainer' as direction,
        row_number() over (partition by l.trade_date order by l.change_pct desc, l.stock_code::integer) as rank,
        -- exclude names a column of l's, which it cannot qualify
        l.* exclude (trade_date)  -- noqa: RF02
    from liquid as l
    inner join cutoffs as c on l.trade_date = c.trade_date and l.change_pct >= c.gainer_cutoff
    where l.change_pct > 0
    qualify rank <= 10
),

losers as (
    select
        l.trade_date,
        'loser' as direction,
        row_number() over (partition by l.trade_date order by l.change_pct asc, l.stock_code::integer) as rank,
        -- exclude names a column of l's, which it cannot qualify
        l.* exclude (trade_date)  -- noqa: RF02
    from liquid as l
    inner join cutoffs as c on l.trade_date = c.trade_date and l.change_pct <= c.loser_cutoff
    where l.change_pct < 0
    qualify rank <= 10
)

select * from gainers
union all
select * from losers
