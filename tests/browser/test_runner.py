"""The browser runner itself (tests/browser/runner.py), in both browsers: each starts as it comes out of the box,
a tab arriving at a page checks its status and runs axe-core, dialogs are answered and reported."""

import pytest

from tests.browser.runner import PageProblem

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_a_browser_comes_as_out_of_the_box_and_every_page_is_checked(tab, live_server):
    # no locale chosen by the tests: both browsers ask for English (en-US) first, as installed here
    assert tab.evaluate("() => navigator.languages")[0] == "en-US"
    with pytest.raises(PageProblem, match="answered 404, expected 200"):
        tab.goto(live_server.url + "/nie-ma-takiej-strony/")
    tab.goto(live_server.url + "/nie-ma-takiej-strony/", status=404, axe=False)
    tab.goto(live_server.url + "/")
    assert tab.visited[-1] == live_server.url + "/"
    # axe-core finds what a page does wrong: an image without a text alternative is a critical violation
    tab.evaluate("() => { const img = document.createElement('img'); img.src = '/x.png'; document.body.append(img); }")
    with pytest.raises(PageProblem, match="image-alt"):
        tab.check_accessibility()


def test_dialogs_are_answered_and_reported(tab, live_server):
    tab.goto(live_server.url + "/")
    assert tab.evaluate("() => confirm('Wysłać 3 przypomnienia?')") is True
    assert tab.dialogs(accept=False) == [{"type": "confirm", "message": "Wysłać 3 przypomnienia?"}]
    assert tab.evaluate("() => confirm('Na pewno?')") is False
    assert tab.dialogs() == [{"type": "confirm", "message": "Na pewno?"}]
