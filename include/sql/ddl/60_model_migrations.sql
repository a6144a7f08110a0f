-- Applied after the models' tables (made from include/sql/*/*.yml, as if they were 50_models.sql here), to bring
-- warehouses created by an older DDL up to date.
-- Warehouses created before short selling read from Daily Quotations pages was told apart.
alter table core.short_selling add column if not exists from_daily_quotations boolean;
-- Warehouses whose core.group_moves was a table macro that read marts.security_daily.
drop macro table if exists core.group_moves;
