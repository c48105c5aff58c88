"""Staff can be set up from the shell: `manage.py create_staff` is idempotent and refuses bad input."""

import io

import pytest
from django.core.management import CommandError, call_command

from helpdesk.models import Role, User

pytestmark = pytest.mark.django_db


def run(*args, stdin: str | None = None, monkeypatch=None) -> str:
    out = io.StringIO()
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    call_command("create_staff", *args, stdout=out)
    return out.getvalue()


def test_a_new_regional_admin_gets_a_one_time_password_and_their_voivodeships():
    output = run(
        "ewa",
        "--email",
        "ewa@uw.example.gov.pl",
        "--role",
        "regional_admin",
        "--voivodeship",
        "14",
        "--voivodeship",
        "24",
    )
    password = output.split("Hasło jednorazowe: ")[1].split()[0]
    user = User.objects.get(username="ewa")
    assert user.role == Role.REGIONAL_ADMIN and user.check_password(password)
    assert sorted(user.voivodeships.values_list("code", flat=True)) == ["14", "24"]


def test_running_it_again_updates_without_touching_the_password():
    run("ewa", "--email", "ewa@uw.example.gov.pl", "--role", "agent")
    before = User.objects.get(username="ewa").password
    output = run("ewa", "--email", "nowy@uw.example.gov.pl", "--role", "supervisor")
    user = User.objects.get(username="ewa")
    assert "Hasło" not in output and user.password == before
    assert user.email == "nowy@uw.example.gov.pl" and user.role == Role.SUPERVISOR
    assert User.objects.count() == 1


def test_the_password_can_come_from_standard_input(monkeypatch):
    output = run(
        "admin1",
        "--email",
        "a@example.gov.pl",
        "--role",
        "admin",
        "--password-stdin",
        stdin="Sekretne-Haslo-1\n",
        monkeypatch=monkeypatch,
    )
    user = User.objects.get(username="admin1")
    assert "Hasło" not in output and user.check_password("Sekretne-Haslo-1")
    assert user.is_superuser and user.is_staff


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "regional_admin"], "co najmniej jedno"),
        (["--role", "regional_admin", "--voivodeship", "15"], "Nieznany kod TERYT"),
        (["--role", "agent", "--voivodeship", "14"], "tylko administratorom"),
    ],
)
def test_bad_input_is_refused_and_creates_nothing(args, message):
    with pytest.raises(CommandError, match=message):
        run("zly", "--email", "zly@example.gov.pl", *args)
    assert not User.objects.filter(username="zly").exists()


def test_an_invalid_email_is_refused():
    with pytest.raises(CommandError):
        run("zly", "--email", "nie-adres", "--role", "agent")


def test_several_voivodeships_can_follow_one_flag():
    run("ewa", "--email", "ewa@uw.example.gov.pl", "--role", "regional_admin", "--voivodeship", "14", "24")
    run(
        "ola",
        "--email",
        "ola@uw.example.gov.pl",
        "--role",
        "regional_admin",
        "--voivodeship",
        "02",
        "--voivodeship",
        "14",
        "24",
    )
    assert sorted(User.objects.get(username="ewa").voivodeships.values_list("code", flat=True)) == ["14", "24"]
    assert sorted(User.objects.get(username="ola").voivodeships.values_list("code", flat=True)) == ["02", "14", "24"]


def test_a_printed_password_must_be_changed_at_the_first_login():
    run("ewa", "--email", "ewa@uw.example.gov.pl", "--role", "agent")
    assert User.objects.get(username="ewa").must_change_password


def test_a_reset_password_must_be_changed_too():
    run("ewa", "--email", "ewa@uw.example.gov.pl", "--role", "agent")
    User.objects.filter(username="ewa").update(must_change_password=False)
    output = run("ewa", "--email", "ewa@uw.example.gov.pl", "--role", "agent", "--reset-password")
    user = User.objects.get(username="ewa")
    assert user.check_password(output.split("Hasło jednorazowe: ")[1].split()[0]) and user.must_change_password


def test_a_password_from_standard_input_need_not_be_changed(monkeypatch):
    run(
        "ewa",
        "--email",
        "ewa@uw.example.gov.pl",
        "--role",
        "agent",
        "--password-stdin",
        stdin="Sekretne-Haslo-1\n",
        monkeypatch=monkeypatch,
    )
    assert not User.objects.get(username="ewa").must_change_password


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("abc", "To hasło jest za krótkie"),  # MinimumLengthValidator (10)
        ("8264019375104", "Hasło składa się wyłącznie z cyfr"),  # NumericPasswordValidator
        ("password123", "To hasło jest zbyt powszechne"),  # CommonPasswordValidator
        ("ewa.kowalska1", "Hasło jest zbyt podobne"),  # UserAttributeSimilarityValidator (the e-mail)
    ],
)
def test_a_weak_password_from_standard_input_is_refused_like_on_the_password_page(monkeypatch, password, reason):
    from django.utils import translation

    with translation.override("pl"), pytest.raises(CommandError) as refused:
        run(
            "ewa",
            "--email",
            "ewa.kowalska@uw.example.gov.pl",
            "--role",
            "agent",
            "--password-stdin",
            stdin=password + "\n",
            monkeypatch=monkeypatch,
        )
    assert str(refused.value).startswith("Hasło nie spełnia wymagań:") and reason in str(refused.value)
    assert not User.objects.filter(username="ewa").exists()  # nothing half-written


def test_a_weak_password_does_not_replace_an_existing_one(monkeypatch):
    run("ewa", "--email", "ewa@uw.example.gov.pl", "--role", "agent")
    before = User.objects.get(username="ewa").password
    with pytest.raises(CommandError):
        run(
            "ewa",
            "--email",
            "ewa@uw.example.gov.pl",
            "--role",
            "agent",
            "--password-stdin",
            stdin="abc\n",
            monkeypatch=monkeypatch,
        )
    assert User.objects.get(username="ewa").password == before
