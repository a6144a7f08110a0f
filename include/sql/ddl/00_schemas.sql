-- The four layers: raw as extracted, core cleaned and joined, marts for analysts, audit for runs.
create schema if not exists raw;
create schema if not exists core;
create schema if not exists marts;
create schema if not exists audit;
