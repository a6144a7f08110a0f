"""Data quality gates on landing frames: one Great Expectations suite per dataset, written as rules in code
(hk_market.rules, and each dataset's rules in its folder).

validate() runs a dataset's suite on a landing frame and reports every expectation's outcome plus the rows
that broke a row-level expectation; raise_for_failures() turns critical failures into DataQualityError;
build_data_docs() adds a report to the Great Expectations Data Docs site (gx/data_docs/index.html beside
the landing zone). great_expectations takes seconds to import, so it is only imported when the first frame
is validated, or earlier by prepare_suites().
"""

from __future__ import annotations

import copy
import datetime as dt
import fcntl
import logging
import math
import re
import threading
from dataclasses import dataclass, replace
from functools import cache
from itertools import chain
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from hk_market import calendar, settings
from hk_market.rules import CRITICAL, WARNING, DatasetRules, Related, suite_rules
from hk_market.rules import by_day as _by_day
from hk_market.rules import dataset_rules as _dataset_rules

log = logging.getLogger(__name__)

HONG_KONG = "Asia/Hong_Kong"
EXAMPLES_SHOWN = 3
# Every expectation runs with BASIC results (counts, no row lists); the failed ones run again for their rows.
ROWS_LISTED_IN_SUMMARY = 1000  # flagged rows a SUMMARY result lists; more and their expectation is re-run
SUMMARY_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": ROWS_LISTED_IN_SUMMARY}
DATA_DOCS_VALIDATIONS_LISTED = 30  # the index lists the latest (its cost grows with each one listed)


@dataclass(frozen=True)
class ExpectationOutcome:
    """How one expectation fared; observed is short and human readable."""

    expectation: str
    column: str | None
    severity: str
    success: bool
    observed: str

    @property
    def label(self) -> str:
        """The expectation and its column(s), e.g. expect_column_values_to_be_between(close)."""
        return _label(self.expectation, self.column)


def _label(expectation: str, column: str | None) -> str:
    return f"{expectation}({column})" if column else expectation


@dataclass
class ValidationReport:
    """Outcome of validating one landing frame.

    failing_rows: the frame's rows (its index kept) that broke a row-level expectation, critical or
    warning, with the landing columns and 'expectation' naming what each broke ('; ' between several).
    """

    dataset: str
    sessions: list[dt.date]
    outcomes: list[ExpectationOutcome]
    failing_rows: pd.DataFrame
    suite_result: object = None  # Great Expectations' ExpectationSuiteValidationResult, for Data Docs

    @property
    def success(self) -> bool:
        """No critical expectation failed."""
        return not self.critical_failures

    @property
    def critical_failures(self) -> list[ExpectationOutcome]:
        return self._failures(CRITICAL)

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        return self._failures(WARNING)

    def _failures(self, severity: str) -> list[ExpectationOutcome]:
        return [outcome for outcome in self.outcomes if not outcome.success and outcome.severity == severity]


class DataQualityError(Exception):
    """Critical expectations failed; the message names dataset, day(s) and each failure's observed value."""

    def __init__(self, dataset: str, sessions: list[dt.date], failures: list[ExpectationOutcome]):
        self.dataset = dataset
        self.sessions = sessions
        self.failures = failures
        noun = "expectation" if len(failures) == 1 else "expectations"
        details = "; ".join(f"{failure.label} {failure.observed}" for failure in failures)
        days = describe_days(sessions)
        super().__init__(f"{dataset} {days}: {len(failures)} critical {noun} failed: {details}")


def describe_days(sessions: list[dt.date]) -> str:
    """'2024-11-14', or '2024-11-11 to 2024-11-15 (5 sessions)' for several."""
    if not sessions:
        return "(no sessions)"
    if len(sessions) == 1:
        return sessions[0].isoformat()
    return f"{min(sessions).isoformat()} to {max(sessions).isoformat()} ({len(sessions)} sessions)"


def validate(
    dataset: str,
    frame: pd.DataFrame,
    sessions: list[dt.date],
    *,
    expected_sessions: list[dt.date] | None = None,
    universe_size: int | None = None,
    prices: pd.DataFrame | None = None,
    history: pd.DataFrame | None = None,
) -> ValidationReport:
    """Run the dataset's suite on a landing frame of the given sessions.

    trade_date must lie within sessions; each of expected_sessions (default: all of sessions) must have
    enough rows: the dataset's share of universe_size (the reference universe's securities), or its
    fixed minimum when no size is given. Pass expected_sessions=[] for a day with no data, e.g.
    southbound on a day Stock Connect is shut. prices (the landed prices of the same sessions) lets
    short selling be checked against each stock's volume and day range; history (trade_date, stock_code, close
    already loaded for the session before the first) lets prices' prev_close be checked against it. Failures
    are reported, never raised.
    """
    spec = _dataset_rules(dataset)
    checked = frame.reset_index(drop=True)  # row labels become positions into frame
    checked = checked.assign(**_derived_columns(spec, checked, Related(prices=prices, history=history)))
    parameters = {
        "sessions": _timestamps(sessions),
        "expected_sessions": _timestamps(sessions if expected_sessions is None else expected_sessions),
        "min_rows": _min_rows_per_session(spec, universe_size),
    }
    validation = _validation_definition(dataset)
    validator = _validator(validation, checked)
    suite_result = _run(validation, validator, parameters)
    order = {expectation.id: position for position, expectation in enumerate(validation.suite.expectations)}
    results = sorted(suite_result.results, key=lambda result: order[result.expectation_config.id])  # GE reorders
    results = suite_result.results = _summarised_failures(validator, dataset, parameters, results)
    outcomes = [_outcome(result) for result in results]
    broken = _broken_rows(validator, dataset, parameters, zip(results, outcomes, strict=True))
    if len(sessions) > 1:  # a chunk's error names the days its rows broke on, not the chunk alone
        outcomes = [_on_days(outcome, checked["trade_date"], broken.get(outcome.label)) for outcome in outcomes]
    report = ValidationReport(
        dataset=dataset,
        sessions=list(sessions),
        outcomes=outcomes,
        failing_rows=_failing_rows(frame, list(spec.landing_schema), broken),
        suite_result=suite_result,
    )
    for outcome in report.warnings:
        log.warning("%s %s: %s %s", dataset, describe_days(report.sessions), outcome.label, outcome.observed)
    return report


def _on_days(outcome: ExpectationOutcome, days: pd.Series, rows: list[int] | None) -> ExpectationOutcome:
    """The outcome with the sessions of the rows it flagged after its observed text: '... on 2024-11-14', or
    '... on 2024-11-14, 2024-11-15 and 3 more sessions'."""
    if not rows:
        return outcome
    flagged = sorted(pd.DatetimeIndex(days.iloc[rows].dropna().unique()).date)
    if not flagged:
        return outcome
    named = ", ".join(day.isoformat() for day in flagged[:EXAMPLES_SHOWN])
    more = f" and {len(flagged) - EXAMPLES_SHOWN} more sessions" if len(flagged) > EXAMPLES_SHOWN else ""
    return replace(outcome, observed=f"{outcome.observed} on {named}{more}")


def raise_for_failures(report: ValidationReport) -> None:
    """Raise DataQualityError if any critical expectation failed."""
    if not report.success:
        raise DataQualityError(report.dataset, report.sessions, report.critical_failures)


def _timestamps(days: list[dt.date]) -> list[pd.Timestamp]:
    """Days as midnight Timestamps, comparable with the datetime64 trade_date column."""
    return [pd.Timestamp(day) for day in days]


def _min_rows_per_session(spec: DatasetRules, universe_size: int | None) -> int:
    if universe_size is None or spec.universe_share is None:
        return spec.min_rows_per_session
    return math.ceil(spec.universe_share * universe_size)


def _derived_columns(spec: DatasetRules, frame: pd.DataFrame, related: Related) -> dict[str, pd.Series]:
    """Helper columns some expectations check; a missing landing column, or one of the wrong type, yields nulls
    here, not an error (the column-set and type expectations report it)."""
    landing = frame.reindex(columns=list(spec.landing_schema))
    for column, dtype in spec.landing_schema.items():
        if dtype.startswith("datetime64") and not pd.api.types.is_datetime64_any_dtype(landing[column]):
            landing[column] = pd.to_datetime(landing[column], errors="coerce")
        elif dtype in ("float64", "int64") and not pd.api.types.is_numeric_dtype(landing[column]):
            landing[column] = pd.to_numeric(landing[column], errors="coerce")
    days = landing["trade_date"]
    session_rows = days.map(days.value_counts())
    derived = spec.derived_columns(landing, related) if spec.derived_columns else {}
    return {
        "session_rows": session_rows,
        "trade_date_not_a_session": days.where(~_by_day(days, _in_calendar, False).astype(bool)),
        "trade_date_after_today_hk": days.where(days > pd.Timestamp(dt.datetime.now(ZoneInfo(HONG_KONG)).date())),
        **derived,
    }


def _in_calendar(day: dt.date) -> bool:
    """Whether the day is an XHKG session (a day outside the calendar's range is not)."""
    try:
        return calendar.is_session(day)
    except ValueError:  # outside the calendar's range
        return False


@cache
def _context():
    """One ephemeral GE context per process, progress bars off."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def _suite(dataset: str):
    """The dataset's rules as a new gx.ExpectationSuite."""
    import great_expectations as gx

    expectations = [
        getattr(gx.expectations, rule.expectation)(**rule.kwargs, severity=rule.severity)
        for rule in suite_rules(dataset)
    ]
    return gx.ExpectationSuite(name=dataset, expectations=expectations)


def prepare_suites(datasets: tuple[str, ...]) -> None:
    """Import Great Expectations and register the datasets' suites now (seconds), e.g. while their frames are
    extracted, rather than when the first frame is validated."""
    for dataset in datasets:
        _validation_definition(dataset)


@cache
def _validation_definition(dataset: str):
    """The dataset's suite on whole pandas frames, registered once in the process's context."""
    import great_expectations as gx

    context = _context()
    asset = context.data_sources.add_pandas(f"{dataset}_landing").add_dataframe_asset(dataset)
    suite = context.suites.add(_suite(dataset))
    return context.validation_definitions.add(
        gx.ValidationDefinition(
            name=dataset, data=asset.add_batch_definition_whole_dataframe(dataset), suite=suite
        )
    )


def _validator(validation, frame: pd.DataFrame):
    """A validator of the frame through validation's batch definition, as validation.run() makes: it loads (and
    fingerprints) the frame once, for the validation and any re-runs of its expectations."""
    from great_expectations.validator.v1_validator import Validator

    return Validator(
        batch_definition=validation.batch_definition, batch_parameters={"dataframe": frame}, result_format="BASIC"
    )


def _run(validation, validator, parameters: dict):
    """What validation.run() returns, meta and all, less its work we do not use: checking that the suite is
    registered unchanged, and storing the result as JSON in the context (build_data_docs stores what it renders)."""
    from great_expectations.constants import DATAFRAME_REPLACEMENT_STR
    from great_expectations.core.run_identifier import RunIdentifier

    suite_result = _validate_suite(validator, validation.suite, parameters)
    run_id = RunIdentifier(run_time=dt.datetime.now(dt.UTC))
    suite_result.meta.update(
        validation_id=validation.id,
        checkpoint_id=None,
        run_id=run_id,
        validation_time=run_id.run_time,
        batch_parameters={"dataframe": DATAFRAME_REPLACEMENT_STR},
    )
    return suite_result


def data_docs_dir() -> Path:
    """The Data Docs site: gx/data_docs/ beside the landing zone (the project's gx/ by default)."""
    return _gx_dir() / "data_docs"


def _gx_dir() -> Path:
    return settings.landing_dir().parent / "gx"


_documented_suites: set[tuple[Path, str]] = set()  # (gx folder, dataset) whose suite this process rendered


def build_data_docs(report: ValidationReport, run_id: str) -> Path:
    """Keep the report's result under gx/validations/ and add its page to the Data Docs site.

    Renders the new result's page, the dataset's suite (once per process) and the index, which lists
    the DATA_DOCS_VALIDATIONS_LISTED latest validations: a run's cost does not grow with history, and
    every page stays on disk. The site is a view of audit.validation_results, so a failure to build it
    is logged, not raised. Returns index.html.
    """
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    root = _gx_dir()
    root.mkdir(parents=True, exist_ok=True)
    suite = ExpectationSuiteIdentifier(name=report.dataset)
    key = ValidationResultIdentifier(
        expectation_suite_identifier=suite,
        run_id=RunIdentifier(run_name=_file_name(run_id), run_time=dt.datetime.now(dt.UTC)),
        batch_identifier="_".join(sorted({min(report.sessions).isoformat(), max(report.sessions).isoformat()})),
    )
    with (root / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # builders in other processes share index.html
        try:
            context = _docs_context(root)
            rendered = [key]
            if (root, report.dataset) not in _documented_suites:
                context.suites.add_or_update(_suite(report.dataset))
                rendered.append(suite)
            context.validation_results_store.set(key, report.suite_result)
            context.build_data_docs(resource_identifiers=rendered)
            _documented_suites.add((root, report.dataset))
        except Exception:
            log.exception("%s %s: Data Docs not updated in %s", report.dataset, describe_days(report.sessions), root)
    return data_docs_dir() / "index.html"


def _file_name(run_id: str) -> str:
    """The run id as one safe path segment (it names a directory under gx/)."""
    return re.sub(r"[^A-Za-z0-9_.:+-]+", "_", run_id).lstrip(".") or "run"


def _docs_context(root: Path):
    """An ephemeral GE context whose suites, validation results and Data Docs site are files under root."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import DataContextConfig, ProgressBarsConfig

    def files(directory: str) -> dict:
        return {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(root / directory)}

    in_memory = {"class_name": "InMemoryStoreBackend"}
    config = DataContextConfig(
        stores={
            "expectations_store": {"class_name": "ExpectationsStore", "store_backend": files("expectations")},
            "validation_results_store": {"class_name": "ValidationResultsStore", "store_backend": files("validations")},
            "checkpoint_store": {"class_name": "CheckpointStore", "store_backend": in_memory},
            "validation_definition_store": {"class_name": "ValidationDefinitionStore", "store_backend": in_memory},
        },
        expectations_store_name="expectations_store",
        validation_results_store_name="validation_results_store",
        checkpoint_store_name="checkpoint_store",
        data_docs_sites={
            "local_site": {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": files("data_docs"),
                "site_index_builder": {
                    "class_name": "DefaultSiteIndexBuilder",
                    "validation_results_limit": DATA_DOCS_VALIDATIONS_LISTED,
                },
            }
        },
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx.get_context(project_config=config, mode="ephemeral")


def _outcome(result) -> ExpectationOutcome:
    config = result.expectation_config
    return ExpectationOutcome(
        expectation=config.type,
        column=_columns(config.kwargs),
        severity=config.severity.value,
        success=bool(result.success),
        observed=_observed(result),
    )


def _columns(kwargs: dict) -> str | None:
    names = [kwargs[key] for key in ("column", "column_A", "column_B") if key in kwargs]
    return ", ".join(names + list(kwargs.get("column_list", []))) or None


def _observed(result) -> str:
    """e.g. '3 unexpected of 150 [e.g. -1.0]', '1 missing [e.g. 2024-11-15]', 'missing close, volume'."""
    error = _exception_message(result.exception_info or {})
    if error:
        return error
    summary = result.result
    if "unexpected_count" in summary:
        text = f"{summary['unexpected_count']} unexpected of {summary['element_count']}"
        examples = [count["value"] for count in summary.get("partial_unexpected_counts", [])]
    elif "missing_count" in summary:  # values expected among the column's distinct values
        text = f"{summary['missing_count']} missing"
        examples = summary["partial_missing_list"]
    elif "details" in summary:  # the column set; extra columns are allowed
        missing = summary["details"]["mismatched"].get("missing")
        return f"missing {', '.join(missing)}" if missing else "none missing"
    else:
        return _display(summary.get("observed_value"))
    shown = [_display(value) for value in examples if not _is_null(value)][:EXAMPLES_SHOWN]
    return f"{text} [e.g. {', '.join(shown)}]" if shown else text


def _exception_message(exception_info: dict) -> str | None:
    """GE gives either one {raised_exception, exception_message} or a dict of them keyed by metric."""
    infos = [exception_info] if "raised_exception" in exception_info else list(exception_info.values())
    return next((info["exception_message"] for info in infos if info.get("raised_exception")), None)


def _display(value) -> str:
    if isinstance(value, tuple | list):
        return f"({', '.join(_display(item) for item in value)})"
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return value.date().isoformat()
    if isinstance(value, float):
        return str(round(value, 6))
    return str(value)


def _is_null(value) -> bool:
    return not isinstance(value, tuple | list) and bool(pd.isna(value))


def _summarised_failures(validator, dataset: str, parameters: dict, results: list) -> list:
    """The results, each failed one replaced by its SUMMARY result: examples and up to ROWS_LISTED_IN_SUMMARY
    flagged rows (a passed one flags none, so its BASIC result says all there is)."""
    failed = [result for result in results if not result.success]
    if not failed:
        return results
    summaries = {
        _result_label(summary): summary
        for summary in _rerun(validator, dataset, parameters, failed, dict(SUMMARY_FORMAT))  # GE fills it in
    }
    return [summaries.get(_result_label(result), result) for result in results]


def _broken_rows(validator, dataset: str, parameters: dict, results_and_outcomes) -> dict[str, list[int]]:
    """Positions of the rows each failed row-level expectation flagged, keyed by the outcome's label.

    The SUMMARY run lists up to ROWS_LISTED_IN_SUMMARY flagged rows per expectation; only expectations
    that flagged more are run again, to list them all.
    """
    flagged = [
        (result, outcome)
        for result, outcome in results_and_outcomes
        if not outcome.success and "partial_unexpected_index_list" in result.result
    ]
    listed = {outcome.label: result.result["partial_unexpected_index_list"] for result, outcome in flagged}
    unlisted = [result for result, outcome in flagged if result.result["unexpected_count"] > len(listed[outcome.label])]
    if not unlisted:
        return listed
    complete = _rerun(validator, dataset, parameters, unlisted, "COMPLETE")
    return listed | {_result_label(result): result.result["unexpected_index_list"] for result in complete}


def _rerun(validator, dataset: str, parameters: dict, results: list, result_format) -> list:
    """The results' expectations run again on the validator's frame (already loaded), with a more detailed
    result format."""
    import great_expectations as gx

    expectations = _expectations_by_label(dataset)
    suite = gx.ExpectationSuite(  # copies: an expectation belongs to one suite
        name=f"{dataset}_rerun",
        expectations=[copy.copy(expectations[_result_label(result)]) for result in results],
    )
    validator.result_format = result_format
    return _validate_suite(validator, suite, parameters).results


_built = threading.local()  # .configurations: {id(expectation): (expectation, its configuration)} while one runs


def _validate_suite(validator, suite, parameters: dict):
    """validator.validate_expectation_suite(), each expectation building its configuration once.

    GE 1.24 rebuilds an Expectation's configuration from its pydantic fields on every read of the property,
    about 80 reads per expectation per run: a quarter of a clean validation's CPU. The expectations GE makes
    for a run are not changed during it, and are kept alive in this thread's cache, so their ids stay theirs.
    """
    _cache_configurations()
    outer, _built.configurations = getattr(_built, "configurations", None), {}
    try:
        return validator.validate_expectation_suite(suite, parameters)
    finally:
        _built.configurations = outer


@cache
def _cache_configurations() -> None:
    """Make Expectation.configuration read the running suite's cache (_validate_suite), if any."""
    from great_expectations.expectations.expectation import Expectation

    build = Expectation.configuration.fget

    def configuration(expectation):
        built = getattr(_built, "configurations", None)
        if built is None:
            return build(expectation)
        if id(expectation) not in built:
            built[id(expectation)] = (expectation, build(expectation))
        return built[id(expectation)][1]

    Expectation.configuration = property(configuration, doc=Expectation.configuration.__doc__)


@cache
def _expectations_by_label(dataset: str) -> dict:
    """The dataset's registered expectations by label, which finds a result's (a rerun's results have no ids)."""
    return {
        _label(expectation.expectation_type, _columns(expectation.configuration.kwargs)): expectation
        for expectation in _validation_definition(dataset).suite.expectations
    }


def _result_label(result) -> str:
    config = result.expectation_config
    return _label(config.type, _columns(config.kwargs))


def _failing_rows(
    frame: pd.DataFrame, landing_columns: list[str], broken: dict[str, list[int]]
) -> pd.DataFrame:
    """The frame's broken rows, landing columns only, each with the expectation(s) it broke."""
    counts = [len(rows) for rows in broken.values()]
    positions = np.fromiter(chain.from_iterable(broken.values()), dtype=np.int64, count=sum(counts))
    broke = pd.Series(list(broken), dtype=object).repeat(counts).groupby(positions).agg("; ".join)
    columns = [column for column in landing_columns if column in frame.columns]
    return frame.iloc[broke.index.to_numpy()][columns].assign(expectation=broke.to_numpy())
