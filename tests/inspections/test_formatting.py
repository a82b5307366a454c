"""Numbers as typed are shown the Russian way whichever path words them."""

import random

import pytest

from intranet.inspections import formatting
from intranet.inspections.formatting import NBSP


def _by_decimal(text: str) -> str:
    """How ``answer`` words a number through ``parse_number`` and ``number``."""
    parsed = formatting.parse_number(text)
    if parsed is None:
        return text
    integral = parsed == parsed.to_integral_value()
    return formatting.number(int(parsed) if integral else parsed, None)


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("12", "12"),
        ("1500", f"1{NBSP}500"),
        (" 0012,50 ", "12,5"),
        ("-0", "0"),
        ("-0,50", "-0,5"),
        ("+7.", "7"),
        ("3,000", "3"),
        ("1 000,5", f"1{NBSP}000,5"),  # not the plain shape: read by Decimal
        (".5", "0,5"),
        ("12а", "12а"),  # not a number: as typed
    ],
)
def test_typed_numbers(typed, shown):
    assert formatting.answer({"type": "decimal"}, typed) == shown


def test_the_quick_path_words_numbers_as_decimal_does():
    rng = random.Random(14)
    digits = "0123456789"
    for _ in range(20000):
        text = (
            rng.choice(["", "-", "+", " "])
            + "".join(rng.choice(digits) for _ in range(rng.randint(1, 16)))
            + rng.choice(["", ",", "."])
            + "".join(rng.choice(digits) for _ in range(rng.randint(0, 13)))
            + rng.choice(["", " "])
        )
        for kind in ("integer", "decimal"):
            assert formatting.answer({"type": kind}, text) == _by_decimal(text), text
