"""E-mail domains of reporting units: which domain names a unit (its own) and which names nobody (a public mail
provider, used by many small practices). The one list of public providers: identification (contacts.identify)
never recognises a unit by them and the units import (contacts.units_import) never gives them to a unit.

Plain functions, no database.
"""

from __future__ import annotations

import re

# Public mail providers: anyone can have a mailbox there, so the domain says nothing about the unit.
# A subdomain of one of them (poczta.onet.pl) is public too (is_public).
PUBLIC_MAIL_DOMAINS = frozenset(
    [
        # Polish providers
        "wp.pl",
        "o2.pl",
        "go2.pl",
        "tlen.pl",
        "onet.pl",
        "onet.eu",
        "onet.com.pl",
        "op.pl",
        "vp.pl",
        "spoko.pl",
        "autograf.pl",
        "buziaczek.pl",
        "poczta.onet.pl",
        "interia.pl",
        "interia.eu",
        "interia.com",
        "poczta.fm",
        "int.pl",
        "gazeta.pl",
        "prokonto.pl",
        "amorki.pl",
        # international providers
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.pl",
        "yahoo.co.uk",
        "ymail.com",
        "outlook.com",
        "outlook.pl",
        "hotmail.com",
        "live.com",
        "msn.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "gmx.com",
        "gmx.net",
        "gmx.de",
        "mail.com",
        "zoho.com",
        "yandex.com",
        "proton.me",
        "pm.me",
        "protonmail.com",
        "protonmail.ch",
        "tutanota.com",
        "tuta.io",
    ]
)

# A host name as it appears after "@": labels of letters, digits and hyphens, at least one dot.
_DOMAIN = re.compile(r"^(?=.{4,200}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def domain_of(address: str) -> str:
    """'Jan.Kowalski@Szpital.Example.PL' → 'szpital.example.pl'; '' when there is no '@'."""
    address = (address or "").strip().lower()
    return address.rsplit("@", 1)[-1] if "@" in address else ""


def is_public(domain: str) -> bool:
    """Whether the domain (or a domain it is part of, e.g. poczta.onet.pl of onet.pl) is a public provider's."""
    labels = (domain or "").strip().lower().rstrip(".").split(".")
    return any(".".join(labels[start:]) in PUBLIC_MAIL_DOMAINS for start in range(len(labels) - 1))


def is_valid(domain: str) -> bool:
    """Whether the text is a host name that can follow '@' (letters, digits, hyphens, a dot)."""
    return bool(_DOMAIN.match(domain or ""))


def normalize(value: str) -> str:
    """What a person writes for a domain, as stored: '@Szpital.PL ', 'www.szpital.pl', 'https://szpital.pl/'
    → 'szpital.pl'. Not validated (is_valid, is_public)."""
    text = (value or "").strip().lower()
    text = re.sub(r"^[a-z]+://", "", text).split("/", 1)[0]
    text = text.rsplit("@", 1)[-1].rstrip(".")
    return text.removeprefix("www.")


def unit_domain(addresses) -> str:
    """The unit's own domain from its e-mail addresses: the one non-public domain they share; '' when there is
    none (only public providers) or when they disagree (the unit cannot be told by one domain)."""
    found = {domain_of(address) for address in addresses if address}
    found = {domain for domain in found if domain and not is_public(domain)}
    return found.pop() if len(found) == 1 else ""
