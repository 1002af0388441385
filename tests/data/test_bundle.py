"""Bundle helpers: config overrides from the command line."""

from __future__ import annotations

import pytest

from monai_refine.data import parse_config_override


def test_parse_config_override_reads_json_values():
    assert parse_config_override("prior_stroke_mm=5") == ("prior_stroke_mm", 5)
    assert parse_config_override("max_growth=null") == ("max_growth", None)
    assert parse_config_override('channels=["rgb"]') == ("channels", ["rgb"])
    assert parse_config_override("train#handlers=[]") == ("train#handlers", [])


def test_parse_config_override_splits_at_the_first_equals_sign():
    """An id holds no ``=``, a JSON value may: the text splits at its first one."""
    assert parse_config_override('name="a=b"') == ("name", "a=b")
    assert parse_config_override('filters={"x": "=="}') == ("filters", {"x": "=="})


@pytest.mark.parametrize(
    "text, match", [("novalue", "ID=JSON"), ("=5", "ID=JSON"), ("x=[", "not JSON"), ("x=rgb", "not JSON")]
)
def test_parse_config_override_refuses_bad_text(text, match):
    with pytest.raises(ValueError, match=match):
        parse_config_override(text)
