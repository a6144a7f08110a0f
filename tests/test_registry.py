"""The registry: every dataset it lists is a folder of the same five parts, and nothing else is a dataset."""

import pytest

from hk_market import registry
from hk_market.settings import SOURCES


@pytest.mark.parametrize("name", registry.NAMES)
def test_every_dataset_is_a_folder_of_the_same_five_parts(name):
    schema = registry.part(name, "schema").LANDING_SCHEMA
    assert list(schema)[:1] == ["trade_date"]
    assert registry.part(name, "rules").RULES.landing_schema is schema
    assert callable(registry.part(name, "parse").landing)
    for source in SOURCES:
        assert callable(registry.part(name, source).fetch)


def test_an_unknown_dataset_or_part_is_refused_naming_what_there_is():
    with pytest.raises(ValueError, match="unknown dataset 'volumes': expected one of prices, short_selling"):
        registry.dataset("volumes")
    with pytest.raises(ValueError, match="a dataset's parts are schema, parse, live, sample, rules"):
        registry.part("prices", "yahoo")
