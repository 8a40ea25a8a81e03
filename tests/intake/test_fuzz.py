"""Fuzzing of every intake endpoint (issue 13 item 17): 1,000 mutated deliveries per database in CI.

The strategies and the check live in ``bench/fuzz.py`` (which runs 10,000 and more): no answer ≥ 500 except
503, and every answered delivery is stored raw, is a repeat of a stored one, or was refused on purpose.
"""

from collections import Counter

import pytest

from bench.fuzz import lauf


@pytest.mark.parametrize("art", ["ozgcloud", "intelliform"])
def test_500_mutated_deliveries_per_endpoint_give_no_5xx_and_lose_nothing(app, intake, art):
    zaehler: Counter = Counter()
    auth = intake.ozg_auth if art == "ozgcloud" else intake.if_auth
    lauf(app.test_client(), art, auth, 500, zaehler)
    assert zaehler["gesendet"] == 500
    assert zaehler["gespeichert"] + zaehler["Wiederholung"] + zaehler["abgelehnt, nichts gespeichert"] > 0
