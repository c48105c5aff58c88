"""The password-change page opens no live notices: a background request of that page (the notices' socket or
its catch-up) that crossed the password change found the old session's hash stale, flushed it and answered with
the session cookie deleted, so the person was logged out right after changing the password (seen in Firefox)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_password_change_page_has_no_notices_script(client, alice):
    client.force_login(alice)
    page = client.get(reverse("password_change")).content.decode()
    assert "js/notify.js" not in page and 'id="notify"' not in page
    assert "js/notify.js" in client.get(reverse("own_settings")).content.decode()  # other staff pages keep them


def test_a_one_time_password_holder_gets_no_notices_anywhere(client, alice):
    alice.must_change_password = True
    alice.save(update_fields=["must_change_password"])
    client.force_login(alice)
    page = client.get(reverse("password_change")).content.decode()
    assert "js/notify.js" not in page
