"""An id names one element of a page: a label's `for`, a skip link and assistive technology find the first one
only, so a second form field with the same id is a field that cannot be reached by its label."""

from collections import Counter
from html.parser import HTMLParser

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: Counter[str] = Counter()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id" and value:
                self.ids[value] += 1


def repeated_ids(html: str) -> list[str]:
    parser = _Ids()
    parser.feed(html)
    return sorted(value for value, count in parser.ids.items() if count > 1)


def test_the_ticket_page_names_each_element_once(client, bob, queue_14, open_email_ticket):
    ticket = open_email_ticket(queue_14)
    client.force_login(bob)
    response = client.get(reverse("tickets:detail", args=[ticket.reference]))
    assert response.status_code == 200
    assert repeated_ids(response.content.decode()) == []


def test_the_status_and_the_move_forms_still_post_their_reason(client, bob, queue_14, open_email_ticket):
    ticket = open_email_ticket(queue_14)
    client.force_login(bob)
    page = client.get(reverse("tickets:detail", args=[ticket.reference])).content.decode()
    assert page.count('name="reason"') >= 2
    assert 'for="id_status_reason"' in page and 'for="id_move_reason"' in page
