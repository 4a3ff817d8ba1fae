"""Matching people, companies and deals: normal forms (email addresses as their provider
reads them, company names without legal forms and punctuation, phone numbers as digits) and
the matching keys stored with each record."""

from __future__ import annotations

import re
import unicodedata

# Mailbox providers: an address there says nothing about the person's company.
FREE_EMAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.co.uk",
        "yahoo.fr",
        "yahoo.de",
        "ymail.com",
        "hotmail.com",
        "hotmail.co.uk",
        "hotmail.fr",
        "hotmail.de",
        "outlook.com",
        "live.com",
        "msn.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "proton.me",
        "protonmail.com",
        "pm.me",
        "gmx.de",
        "gmx.net",
        "gmx.com",
        "web.de",
        "t-online.de",
        "yandex.ru",
        "yandex.com",
        "mail.ru",
        "qq.com",
        "163.com",
        "126.com",
        "zoho.com",
        "fastmail.com",
        "hey.com",
        "orange.fr",
        "free.fr",
        "laposte.net",
        "libero.it",
        "virgilio.it",
        "btinternet.com",
        "comcast.net",
        "verizon.net",
        "att.net",
        "sbcglobal.net",
        "rediffmail.com",
        "uol.com.br",
        "bol.com.br",
        "terra.com.br",
    }
)
# Providers that deliver "first.last+tag@" to "firstlast@": dots and +tags are ignored.
_DOTS_IGNORED = frozenset({"gmail.com", "googlemail.com"})
# Providers that deliver "name+tag@" to "name@" (subaddressing).
_PLUS_IGNORED = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "fastmail.com",
        "proton.me",
        "protonmail.com",
        "pm.me",
        "yahoo.com",
    }
)
_CANONICAL_DOMAIN = {"googlemail.com": "gmail.com"}

# Legal forms and filler words dropped from company names before comparing them.
_LEGAL_FORMS = frozenset(
    {
        "inc",
        "incorporated",
        "llc",
        "llp",
        "lp",
        "ltd",
        "limited",
        "plc",
        "corp",
        "corporation",
        "co",
        "company",
        "gmbh",
        "ag",
        "kg",
        "ohg",
        "ug",
        "sa",
        "sas",
        "sarl",
        "srl",
        "spa",
        "bv",
        "nv",
        "oy",
        "ab",
        "as",
        "aps",
        "pty",
        "pte",
        "kk",
        "the",
        "group",
        "holding",
        "holdings",
    }
)
_NON_WORD = re.compile(r"[^0-9a-z]+")
_DIGITS = re.compile(r"\D+")


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def email_domain(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    domain = email.rsplit("@", 1)[1].strip().lower().rstrip(".")
    return domain or None


def company_domain(email: str | None) -> str | None:
    """The email's domain when it is a company's, not a mailbox provider's."""
    domain = email_domain(email)
    return None if domain is None or domain in FREE_EMAIL_DOMAINS else domain


def canonical_email(email: str | None) -> str | None:
    """The address as its provider delivers it: lower-cased, and for providers that ignore
    them, without dots (Gmail) or a +tag in the local part."""
    if not email or "@" not in email:
        return None
    local, domain = email.strip().lower().rsplit("@", 1)
    domain = _CANONICAL_DOMAIN.get(domain, domain)
    if domain in _PLUS_IGNORED:
        local = local.split("+", 1)[0]
    if domain in _DOTS_IGNORED:
        local = local.replace(".", "")
    return f"{local}@{domain}" if local else None


def company_name(name: str | None) -> str:
    """``"The ACME Corp., Inc."`` → ``"acme"``: ASCII, lower case, no punctuation, no legal
    forms. Empty when nothing distinctive is left."""
    if not name:
        return ""
    words = _NON_WORD.sub(" ", _ascii(name).lower()).split()
    kept = [w for w in words if w not in _LEGAL_FORMS]
    return " ".join(kept or words)


def person_name(*parts: str | None) -> str:
    """First and last name as one comparable string."""
    words = _NON_WORD.sub(" ", _ascii(" ".join(p for p in parts if p)).lower()).split()
    return " ".join(words)


def phone_digits(phone: str | None) -> str | None:
    """The last ten digits of a phone number (country prefixes and formatting differ more
    than the number), or None when fewer than seven digits are present."""
    if not phone:
        return None
    digits = _DIGITS.sub("", phone)
    if len(digits) < 7:
        return None
    return digits[-10:]


def domain_stem(domain: str | None) -> str:
    """``"acme-robotics.co.uk"`` → ``"acme robotics"``: a domain as a name, to compare with
    company names."""
    if not domain:
        return ""
    labels = domain.lower().split(".")
    if len(labels) > 2 and len(labels[-2]) <= 3:  # co.uk, com.au, ...
        labels = labels[:-2]
    elif len(labels) > 1:
        labels = labels[:-1]
    if labels and labels[0] == "www":
        labels = labels[1:]
    return company_name(" ".join(labels[-1:]).replace("-", " "))


# --- the matching keys stored with each record -----------------------------------------------
#
# Kept up to date by the type rules on every write, indexed (live records only), and used as
# blocking keys: records that share a key are compared, records that share none never are.

CONTACT_KEYS = ("revline_email_key", "revline_phone_key", "revline_company_key")
COMPANY_KEYS = ("revline_name_key", "revline_phone_key")
DEAL_KEYS = ("revline_name_key",)


def contact_keys(
    email: str | None, phone: str | None, mobile: str | None, company: str | None
) -> dict[str, str | None]:
    """A contact's keys: its canonical email, its phone digits (phone, else mobile) and its
    company (the normalised company name, else the email's company domain read as a name, so
    that "Acme Inc" and ada@acme.com land in one block)."""
    return {
        "revline_email_key": canonical_email(email),
        "revline_phone_key": phone_digits(phone) or phone_digits(mobile),
        "revline_company_key": company_name(company) or domain_stem(company_domain(email)) or None,
    }


def company_keys(name: str | None, phone: str | None) -> dict[str, str | None]:
    return {
        "revline_name_key": company_name(name) or None,
        "revline_phone_key": phone_digits(phone),
    }


def deal_keys(dealname: str | None) -> dict[str, str | None]:
    return {"revline_name_key": person_name(dealname) or None}
