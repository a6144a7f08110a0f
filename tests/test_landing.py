"""The landing zone: files landed before a column was added read as the rows they stand for."""

import datetime as dt

import pyarrow.parquet as pq
import pytest

from hk_market import calendar, landing, pipeline

SESSIONS = calendar.sessions(dt.date(2024, 11, 11), dt.date(2024, 11, 14))
# The flag on the rows of a file landed today, and a rule that says what it stands for in an older file.
FLAGGED = {
    "prices": ("turnover_estimated", lambda frame: frame["turnover_hkd"].notna()),
    "short_selling": ("from_daily_quotations", lambda frame: False),
}


def land_mixed(dataset: str, old_sessions: list[dt.date]) -> None:
    """Land SESSIONS as today's extract does, then rewrite old_sessions' files without the added column (as
    they were landed before it) and turn the flag over on the other files' rows, so that a flag read from them
    can only have come from the file."""
    column, _ = FLAGGED[dataset]
    for day in SESSIONS:
        pipeline.extract(dataset, [day])
        table = pq.read_table(landing.path(dataset, day))
        if day in old_sessions:
            pq.write_table(table.drop_columns([column]), landing.path(dataset, day))
        else:
            frame = table.to_pandas()
            frame[column] = ~frame[column]
            landing.write(dataset, frame, [day])


@pytest.mark.parametrize("dataset", ["prices", "short_selling"])
@pytest.mark.parametrize("old_sessions", [SESSIONS[:2], SESSIONS[2:], SESSIONS[1:3]],
                         ids=["first old, last new", "first new, last old", "old in the middle"])
def test_a_column_added_after_files_were_landed_reads_as_what_the_older_files_stand_for(
        dataset, old_sessions, scratch_warehouse):
    if dataset == "short_selling":
        for day in SESSIONS:
            pipeline.extract("prices", [day])  # short selling is validated against them
    land_mixed(dataset, old_sessions)
    column, older_value = FLAGGED[dataset]

    frame = landing.read(dataset, SESSIONS)

    assert frame[column].dtype == "bool"
    for day in SESSIONS:
        rows = frame[frame["trade_date"].dt.date == day]
        landed = landing.read(dataset, [day])  # one file: read alone, pyarrow cannot drop its column
        assert len(rows) == len(landed) > 0
        if day in old_sessions:
            expected = older_value(rows)
            assert (rows[column] == expected).all(), day
        else:
            assert rows[column].tolist() == landed[column].tolist(), day
            assert (rows[column] != older_value(rows)).any(), day  # the file's own flags, not the rule's
    pipeline.validate(dataset, SESSIONS, "test", data_docs=False)
