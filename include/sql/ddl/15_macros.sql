-- Parallel sums of doubles depend on the order threads meet the rows, which would make a re-run's
-- marts differ in the last bits. Summing as decimals is exact, so every rebuild is byte-identical.
create or replace macro core.sum_hkd(amount) as sum(amount::decimal(18, 2))::double;
create or replace macro core.avg_pct(pct) as avg(pct::decimal(18, 8))::double;

-- A group of securities' day (a sector's, a theme's) as one aggregate of its members' rows, so that
-- marts.sector_daily and marts.theme_daily summarise alike. The short selling ratio is over the members
-- whose short selling is known (not GEM's on a session read from Daily Quotations alone).
create or replace macro core.group_summary(code, change, turnover, short_turnover) as struct_pack(
    securities := count(*),
    advancers := count(*) filter (where change > 0),
    decliners := count(*) filter (where change < 0),
    avg_change_pct := core.avg_pct(change),
    median_change_pct := median(change),
    turnover_hkd := core.sum_hkd(turnover),
    short_sell_ratio_pct := 100 * core.sum_hkd(short_turnover)
    / nullif(core.sum_hkd(case when short_turnover is not null then turnover end), 0),
    best_stock_code := first(code order by change desc nulls last, code asc),
    best_change_pct := max(change),
    worst_stock_code := first(code order by change asc nulls last, code asc),
    worst_change_pct := min(change)
);
