"""The report's method page states each rule the measures follow, in plain words."""

import re

from reporting.method import method_sections

RULES = {
    "one classification": "the classification it has now",
    "correction moves the whole job": "moves the whole job",
    "reopen and change of service": "reopened, moved to another service and attended again is counted once",
    "staff and telemetry beside": "never inside the call-out medians",
    "wastewater overflows only": "overflows caused by blockages or other faults",
    "exclusions": "leaves the medians only",
    "not our asset": "the asset is not the council's",
    "events, not callers": "Several callers about one overflow are one job",
    "flooding events a count": "The number of flooding events is a count",
    "floors per 1000": "per 1000 connected properties",
    "response complaints": "it counts under response",
    "rounding": "halves rounded up",
}


def test_method_page_states_each_rule_in_plain_words():
    sections = dict(method_sections())
    measures = " ".join(sections["The DIA measures"])
    missing = [name for name, words in RULES.items() if words not in measures]
    assert not missing
    for paragraphs in sections.values():
        for text in paragraphs:
            assert "``" not in text and "**" not in text and "\n" not in text
            assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), text  # no code names (kpi_class, is_urgent)
