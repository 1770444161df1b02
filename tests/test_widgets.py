from html.parser import HTMLParser

import pytest
from django import forms

from common.widgets import FastSelect

CHOICES = [("", "Any"), ("a", "A & B"), ("Group", [("x", "X"), ("y", '"Y"')])]


class Form(forms.Form):
    plain = forms.ChoiceField(choices=CHOICES)
    fast = forms.ChoiceField(choices=CHOICES, widget=FastSelect)


class Parsed(HTMLParser):
    def __init__(self, html):
        super().__init__()
        self.items = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.items.append((tag, sorted(attrs)))

    def handle_endtag(self, tag):
        self.items.append(("/" + tag,))

    def handle_data(self, data):
        if data.strip():
            self.items.append(data.strip())


@pytest.mark.parametrize("value", ["", "a", "y", "nonsense"])
def test_fast_select_writes_the_same_elements_and_attributes_as_djangos_select(value):
    form = Form({"plain": value, "fast": value})
    form.is_valid()
    plain = Parsed(str(form["plain"]).replace("plain", "NAME")).items
    fast = Parsed(str(form["fast"]).replace("fast", "NAME")).items
    assert fast == plain
