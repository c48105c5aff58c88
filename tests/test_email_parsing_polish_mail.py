"""Polish mail clients' messages (our own fixtures in tests/mail): charsets, headers, names, new text."""

import pytest

from inbox_ingest.parsing import parse
from tests.mailtools import POLISH


def parsed(name: str):
    return parse((POLISH / name).read_bytes())


def test_outlook_windows_1250_reply_shows_only_the_text_above_wiadomosc_oryginalna():
    message = parsed("outlook_pl_wiadomosc_oryginalna.eml")
    assert message.subject == "RE: [SSOZ-2025-000042] Błąd walidacji w MZ-88"
    assert message.from_name == "Grażyna Wiśniewska"
    assert message.visible_text.startswith("Dzień dobry,\n\nw załączeniu poprawione sprawozdanie MZ-88.")
    assert "Wiadomość oryginalna" not in message.visible_text
    assert "Prosimy o przesłanie poprawionego pliku." in message.text  # the full text stays


def test_an_rfc_2231_file_name_with_polish_letters_is_decoded():
    message = parsed("outlook_pl_wiadomosc_oryginalna.eml")
    assert [a.filename for a in message.attachments] == ["MZ-88_poprawione_Łódź.xlsx"]
    assert message.attachments[0].content.startswith(b"PK\x03\x04")


def test_outlook_od_wyslano_do_temat_block_in_iso_8859_2_is_folded():
    message = parsed("outlook_pl_od_wyslano.eml")
    assert message.from_name == "Łukasz Żółć"
    assert message.subject == "ODP: Brak formularza MZ-11"
    assert message.visible_text.endswith("Pozdrawiam,\nŁukasz Żółć")
    assert "Wysłano:" not in message.visible_text


def test_gmail_napisal_a_header_is_folded_and_html_is_sanitised():
    message = parsed("gmail_pl_napisal.eml")
    assert message.visible_text == "Dzień dobry,\ndziękuję, logowanie przez Profil Zaufany już działa."
    assert "<script" not in message.html and "Profil Zaufany" in message.html


def test_thunderbird_pisze_bottom_post_keeps_the_answer_below_the_quote_without_signature():
    message = parsed("thunderbird_pl_pisze.eml")
    assert message.from_name == "Marek Zając"
    assert message.visible_text == "Tak, mamy umowę z NFZ od 2019 roku. Numer księgi rejestrowej: 000000012345."


def test_html_only_windows_1250_mail_gets_a_plain_text_and_keeps_its_inline_image():
    message = parsed("html_tylko_windows1250.eml")
    assert message.subject == "Błąd REGON przy logowaniu"
    assert "błąd „Nieprawidłowy REGON”" in message.text
    (image,) = message.attachments
    assert image.is_inline and image.content_id == "zrzut@ekran" and image.content_type == "image/png"


def test_a_polish_out_of_office_answer_is_recognised():
    assert parsed("autoodpowiedz_pl.eml").auto_reply


@pytest.mark.parametrize(
    "subject",
    ["Odpowiedź automatyczna: Brak formularza", "Automatyczna odpowiedź: MZ-88", "Nieobecność w biurze",
     "Out of Office: MZ-88", "Automatic reply: pytanie"],
)  # fmt: skip
def test_out_of_office_subjects_are_automatic(subject):
    from tests.mailtools import message

    assert parse(message(subject=subject)).auto_reply


@pytest.mark.parametrize(
    "headers",
    [{"Auto-Submitted": "auto-replied"}, {"X-Autoreply": "yes"}, {"X-Autorespond": "1"}, {"Precedence": "bulk"},
     {"Precedence": "junk"}, {"Precedence": "list"}, {"Precedence": "auto_reply"}, {"X-Auto-Response-Suppress": "All"}],
)  # fmt: skip
def test_automatic_mail_headers_are_recognised(headers):
    from tests.mailtools import message

    assert parse(message(headers=headers)).auto_reply


def test_a_person_writing_is_not_automatic():
    from tests.mailtools import message

    assert parse(message(headers={"Auto-Submitted": "no"})).auto_reply == ""


def test_uuencoded_attachment_is_decoded_and_removed_from_the_text():
    import binascii

    from tests.mailtools import message

    data = b"raport MZ-88 " * 20
    lines = [binascii.b2a_uu(data[i : i + 45]).decode().rstrip("\n") for i in range(0, len(data), 45)]
    body = "W załączeniu plik.\n\nbegin 644 raport.txt\n" + "\n".join(lines) + "\n`\nend\n"
    result = parse(message(body=body))
    assert [(a.filename, a.content) for a in result.attachments] == [("raport.txt", data)]
    assert "begin 644" not in result.text
