"""The datasets and marts the project builds: the DAGs, the pipeline and the tests read them from here.

A dataset is a folder, hk_market/datasets/<name>/, of five modules named alike in every folder: schema
(LANDING_SCHEMA), parse (landing(fetched) -> the landing frame), live and sample (fetch(request) -> what the
upstream publishes, in its shape), rules (RULES, its quality suite); and an entry in DATASETS. Adding one is that
folder, that entry, and its raw and quarantine tables in include/sql/ddl/.

Imports nothing heavy, for the DAG files read it when parsed: part() imports a folder's module when asked.
"""

import importlib
from dataclasses import dataclass
from types import ModuleType

PARTS = ("schema", "parse", "live", "sample", "rules")


@dataclass(frozen=True)
class Dataset:
    """A dataset and how a run checks it beyond its own rows.

    prices_checked: its rows are checked against the same sessions' landed prices (so the daily DAG validates it
    after prices land); history_checked: against the closes already loaded for the session before;
    southbound_sessions: it has rows only on the sessions southbound trades (else on every session).
    """

    name: str
    prices_checked: bool = False
    history_checked: bool = False
    southbound_sessions: bool = False


# In load order.
DATASETS = {dataset.name: dataset for dataset in (
    Dataset("prices", history_checked=True),
    Dataset("short_selling", prices_checked=True),
    Dataset("southbound", southbound_sessions=True),
    Dataset("macro"),
)}
NAMES = tuple(DATASETS)
MART_TABLES = ("security_daily", "market_summary", "southbound_daily", "sector_daily", "theme_daily",
               "movers_daily", "macro_daily")


def dataset(name: str) -> Dataset:
    """The dataset's entry; ValueError naming the datasets for an unknown name."""
    try:
        return DATASETS[name]
    except KeyError:
        raise ValueError(f"unknown dataset {name!r}: expected one of {', '.join(NAMES)}") from None


def part(name: str, part_name: str) -> ModuleType:
    """One of the dataset's modules (PARTS), e.g. part("prices", "parse") is hk_market.datasets.prices.parse."""
    if part_name not in PARTS:
        raise ValueError(f"no dataset part {part_name!r}: a dataset's parts are {', '.join(PARTS)}")
    return importlib.import_module(f"hk_market.datasets.{dataset(name).name}.{part_name}")
