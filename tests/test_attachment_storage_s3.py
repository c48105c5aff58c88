"""With FILE_STORAGE=s3 attachments go to an S3-compatible store shared by every web machine, are stored
once per content hash, and are still served only through the permission-checked download.

The store here is moto's S3-compatible HTTP server on 127.0.0.1, spoken to over real HTTP by boto3."""

import socket

import boto3
import pytest
from django.urls import reverse

from tickets import actions
from tickets.models import StoredFile

pytestmark = pytest.mark.django_db


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_storage(settings, s3_endpoint):
    credentials = {"aws_access_key_id": "test", "aws_secret_access_key": "test", "region_name": "eu-central-1"}
    boto3.client("s3", endpoint_url=s3_endpoint, **credentials).create_bucket(
        Bucket="zalaczniki", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"}
    )
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "zalaczniki",
                "endpoint_url": s3_endpoint,
                "access_key": "test",
                "secret_key": "test",
                "region_name": "eu-central-1",
                "location": "helpdesk",
                "default_acl": None,
                "file_overwrite": False,
            },
        },
    }
    return boto3.resource("s3", endpoint_url=s3_endpoint, **credentials).Bucket("zalaczniki")


def test_attachments_live_in_the_bucket_once_and_download_only_for_those_who_may_see_them(
    s3_storage, client, bob, celina, queue_14, open_email_ticket
):
    file = actions.NewAttachment(
        filename="MZ-88 korekta.xlsx", content=b"PK\x03\x04 arkusz", content_type="application/vnd.ms-excel"
    )
    first = open_email_ticket(queue_14, attachments=[file])
    open_email_ticket(queue_14, attachments=[file])

    keys = [obj.key for obj in s3_storage.objects.all()]
    assert len(keys) == 1 and keys[0].startswith("helpdesk/attachments/")
    assert StoredFile.objects.count() == 1

    attachment = first.entries.get().attachments.get()
    url = reverse("attachment", args=[attachment.pk, attachment.filename])
    client.force_login(celina)
    assert client.get(url).status_code == 404
    client.force_login(bob)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"PK\x03\x04 arkusz"
    assert "MZ-88" in response["Content-Disposition"]


def test_a_misconfigured_s3_setting_stops_the_process(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "DEBUG": "true", "FILE_STORAGE": "s3", "HELPDESK_VAR_DIR": str(tmp_path)}
    env.pop("S3_BUCKET", None)
    env["DJANGO_SETTINGS_MODULE"] = "helpdesk.settings"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0 and "S3_BUCKET must be set" in result.stderr
