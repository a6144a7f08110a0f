-- Parallel sums of doubles depend on the order threads meet the rows, which would make a re-run's
-- marts differ in the last bits. Summing as decimals is exact, so every rebuild is byte-identical.
create or replace macro core.sum_hkd(amount) as sum(amount::decimal(18, 2))::double;
create or replace macro core.avg_pct(pct) as avg(pct::decimal(18, 8))::double;
