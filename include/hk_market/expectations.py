"""Great Expectations runs a dataset's quality rules (hk_market.rules) on a landing frame, through its documented
1.x API: one ValidationDefinition per dataset, run on each frame with result format BASIC (counts), its failed
expectations run again (Batch.validate) with SUMMARY for examples and flagged rows, COMPLETE past
ROWS_LISTED_IN_SUMMARY of them.

validate() reports every expectation's outcome plus the rows that broke a row-level expectation;
raise_for_failures() turns critical failures into DataQualityError. great_expectations takes seconds to import, so
it is only imported when the first frame is validated, or earlier by prepare_suites().
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
import math
from dataclasses import dataclass, field, replace
from functools import cache
from itertools import chain

import numpy as np
import pandas as pd

from hk_market import calendar, rules, settings
from hk_market.rules import CRITICAL, WARNING, DatasetRules, Related

log = logging.getLogger(__name__)

EXAMPLES_SHOWN = 3
# Every expectation runs with BASIC results (counts, no row lists); the failed ones run again for their rows.
ROWS_LISTED_IN_SUMMARY = 1000  # flagged rows a SUMMARY result lists; more and their expectation is re-run
SUMMARY_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": ROWS_LISTED_IN_SUMMARY}


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
        return rules.label(self.expectation, self.column)


@dataclass
class ValidationReport:
    """Outcome of validating one landing frame.

    failing_rows: the frame's rows (its index kept) that broke a row-level expectation, critical or
    warning, with the landing columns and 'expectation' naming what each broke ('; ' between several).
    checked and parameters: the frame as the suite checked it (with its helper columns) and the run's
    expectation parameters, so that hk_market.data_docs_site can document the same validation.
    """

    dataset: str
    sessions: list[dt.date]
    outcomes: list[ExpectationOutcome]
    failing_rows: pd.DataFrame
    checked: pd.DataFrame | None = None
    parameters: dict = field(default_factory=dict)

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

    @property
    def summary(self) -> str:
        """One line for the task log, e.g. 'prices 2024-11-14: passed 45 expectations, 1 warning, 3 rows
        quarantined'."""
        critical, warned, rows = len(self.critical_failures), len(self.warnings), len(self.failing_rows)
        outcome = f"FAILED {critical} critical of {len(self.outcomes)} expectations" if critical else (
            f"passed {len(self.outcomes)} expectations")
        return (f"{self.dataset} {calendar.describe_days(self.sessions)}: {outcome}, {_count(warned, 'warning')}, "
                f"{_count(rows, 'row')} quarantined")

    def _failures(self, severity: str) -> list[ExpectationOutcome]:
        return [outcome for outcome in self.outcomes if not outcome.success and outcome.severity == severity]


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


class DataQualityError(Exception):
    """Critical expectations failed; the message names dataset, day(s) and each failure's observed value."""

    def __init__(self, dataset: str, sessions: list[dt.date], failures: list[ExpectationOutcome]):
        self.dataset = dataset
        self.sessions = sessions
        self.failures = failures
        noun = "expectation" if len(failures) == 1 else "expectations"
        details = "; ".join(f"{failure.label} {failure.observed}" for failure in failures)
        days = calendar.describe_days(sessions)
        super().__init__(f"{dataset} {days}: {len(failures)} critical {noun} failed: {details}")


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
    spec = rules.dataset_rules(dataset)
    checked = frame.reset_index(drop=True)  # row labels become positions into frame
    checked = checked.assign(**_derived_columns(spec, checked, Related(prices=prices, history=history)))
    parameters = {
        "sessions": _timestamps(sessions),
        "expected_sessions": _timestamps(sessions if expected_sessions is None else expected_sessions),
        "min_rows": _min_rows_per_session(spec, universe_size),
    }
    validation = _validation_definition(dataset)
    suite_result = validation.run(
        batch_parameters={"dataframe": checked}, expectation_parameters=parameters, result_format="BASIC"
    )
    order = {expectation.id: position for position, expectation in enumerate(validation.suite.expectations)}
    results = sorted(suite_result.results, key=lambda result: order[result.expectation_config.id])  # GE reorders
    rerun = _Rerun(validation, checked, parameters)
    results = rerun.summarised_failures(results)
    outcomes = [_outcome(result) for result in results]
    broken = _broken_rows(rerun, zip(results, outcomes, strict=True))
    if len(sessions) > 1:  # a chunk's error names the days its rows broke on, not the chunk alone
        outcomes = [_on_days(outcome, checked["trade_date"], broken.get(outcome.label)) for outcome in outcomes]
    report = ValidationReport(
        dataset=dataset,
        sessions=list(sessions),
        outcomes=outcomes,
        failing_rows=_failing_rows(frame, list(spec.landing_schema), broken),
        checked=checked,
        parameters=parameters,
    )
    for outcome in report.warnings:
        log.warning("%s %s: %s %s", dataset, calendar.describe_days(report.sessions), outcome.label, outcome.observed)
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
    today_hk = pd.Timestamp(dt.datetime.now(settings.HK_TZ).date())
    return {
        "session_rows": session_rows,
        "trade_date_not_a_session": days.where(~rules.by_day(days, _in_calendar, False).astype(bool)),
        "trade_date_after_today_hk": days.where(days > today_hk),
        **derived,
    }


def _in_calendar(day: dt.date) -> bool:
    """Whether the day is an XHKG session (a day outside the calendar's range is not)."""
    try:
        return calendar.is_session(day)
    except ValueError:  # outside the calendar's range
        return False


@cache
def import_great_expectations():
    """great_expectations, its INFO records off: at import it logs one 'Skipping registering function' line per
    public function it indexes (213 of a validate task's 231 log lines), and a line per ephemeral context (that
    module's logger it sets to INFO itself); none of them is about the data."""
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations

    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
    return great_expectations


@cache
def _context():
    """One ephemeral GE context per process, progress bars off."""
    gx = import_great_expectations()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def prepare_suites(datasets: tuple[str, ...]) -> None:
    """Import Great Expectations and register the datasets' suites now (seconds), e.g. while their frames are
    extracted, rather than when the first frame is validated."""
    for dataset in datasets:
        _validation_definition(dataset)


@cache
def _validation_definition(dataset: str):
    """The dataset's validation definition in the process's context."""
    return register(_context(), dataset)


def register(context, dataset: str):
    """The dataset's rules as a suite, on whole pandas frames: a ValidationDefinition added to the context."""
    gx = import_great_expectations()
    suite_expectations = [
        getattr(gx.expectations, rule.expectation)(**rule.kwargs, severity=rule.severity)
        for rule in rules.suite_rules(dataset)
    ]
    suite = context.suites.add_or_update(gx.ExpectationSuite(name=dataset, expectations=suite_expectations))
    batches = context.data_sources.add_pandas(f"{dataset}_landing").add_dataframe_asset(dataset)
    return context.validation_definitions.add(
        gx.ValidationDefinition(name=dataset, data=batches.add_batch_definition_whole_dataframe(dataset), suite=suite)
    )


def _outcome(result) -> ExpectationOutcome:
    config = result.expectation_config
    return ExpectationOutcome(
        expectation=config.type,
        column=rules.expectation_columns(config.kwargs),
        severity=config.severity.value,
        success=bool(result.success),
        observed=_observed(result),
    )


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


class _Rerun:
    """Failed expectations of a validation run again, with a more detailed result format, on a batch of the same
    frame (Batch.validate, which neither registers nor stores anything)."""

    def __init__(self, validation, checked: pd.DataFrame, parameters: dict):
        self.validation, self.checked, self.parameters = validation, checked, parameters

    def summarised_failures(self, results: list) -> list:
        """The results, each failed one replaced by its SUMMARY result: examples and up to ROWS_LISTED_IN_SUMMARY
        flagged rows (a passed one flags none, so its BASIC result says all there is)."""
        failed = [result for result in results if not result.success]
        if not failed:
            return results
        summaries = {_result_label(summary): summary
                     for summary in self.results(failed, dict(SUMMARY_FORMAT))}  # GE fills it in
        return [summaries.get(_result_label(result), result) for result in results]

    def results(self, failed: list, result_format) -> list:
        gx = import_great_expectations()
        expectations = _expectations_by_label(self.validation.suite.name)
        suite = gx.ExpectationSuite(  # copies: an expectation belongs to one suite
            name=f"{self.validation.suite.name}_rerun",
            expectations=[copy.copy(expectations[_result_label(result)]) for result in failed],
        )
        batch = self.validation.batch_definition.get_batch(batch_parameters={"dataframe": self.checked})
        return batch.validate(suite, result_format=result_format, expectation_parameters=self.parameters).results


def _broken_rows(rerun: _Rerun, results_and_outcomes) -> dict[str, list[int]]:
    """Positions of the rows each failed row-level expectation flagged, keyed by the outcome's label.

    The SUMMARY results list up to ROWS_LISTED_IN_SUMMARY flagged rows per expectation; only expectations
    that flagged more are run again, with result format COMPLETE, to list them all.
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
    complete = rerun.results(unlisted, "COMPLETE")
    return listed | {_result_label(result): result.result["unexpected_index_list"] for result in complete}


@cache
def _expectations_by_label(dataset: str) -> dict:
    """The dataset's registered expectations by label, which finds a result's."""
    return {
        rules.label(expectation.expectation_type, rules.expectation_columns(expectation.configuration.kwargs)):
        expectation for expectation in _validation_definition(dataset).suite.expectations
    }


def _result_label(result) -> str:
    config = result.expectation_config
    return rules.label(config.type, rules.expectation_columns(config.kwargs))


def _failing_rows(
    frame: pd.DataFrame, landing_columns: list[str], broken: dict[str, list[int]]
) -> pd.DataFrame:
    """The frame's broken rows, landing columns only, each with the expectation(s) it broke."""
    counts = [len(rows) for rows in broken.values()]
    positions = np.fromiter(chain.from_iterable(broken.values()), dtype=np.int64, count=sum(counts))
    broke = pd.Series(list(broken), dtype=object).repeat(counts).groupby(positions).agg("; ".join)
    columns = [column for column in landing_columns if column in frame.columns]
    return frame.iloc[broke.index.to_numpy()][columns].assign(expectation=broke.to_numpy())
