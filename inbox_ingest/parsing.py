"""Raw e-mail bytes → a plain `ParsedMessage` value. No database, no Django models: fast to test with
thousands of fixtures.

Robust first: any charset label (inbox_ingest.charsets: fallbacks for the wrong ones clients write), RFC 2047 headers,
RFC 2231 file names, broken MIME, HTML-only mail (sanitised for display, plain text derived), inline images
and every other part kept as attachments, TNEF `winmail.dat` unpacked, uuencoded blocks decoded. Quoted
history and signatures are folded away into `visible_text` (inbox_ingest.quotes). Auto-replies and
delivery-status reports are recognised (inbox_ingest.autoreply).
"""

from __future__ import annotations

import binascii
import datetime as dt
import email
import email.errors
import email.header
import email.parser
import email.utils
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.header import Header
from email.message import Message

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from helpdesk.filenames import neutral_name
from helpdesk.html import sanitize_html
from inbox_ingest import autoreply, htmltext, quotes
from inbox_ingest.charsets import decode_bytes, guess_8bit

MAX_HEADER = 998
RAW_HEADER_MAX = 65536  # characters of an address header read for its addresses


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str
    content_type: str
    content: bytes
    is_inline: bool = False
    content_id: str = ""

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass(frozen=True)
class CutContent:
    """A part of the message that was not read because it is nested too deep."""

    depth: int  # its nesting level (0: the parser could not follow the body at all)
    part: str  # where: its part number as IMAP numbers them ("1.1.2"), "" for the whole body
    content_type: str
    parts: int = 0  # the text and file parts inside it, all left out


MAX_DEPTH = 30  # nesting levels of MIME parts read


@dataclass(frozen=True)
class ParsedMessage:
    message_id: str  # "<id@host>" as written, or "" when the message has none
    subject: str
    from_name: str
    from_email: str
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    reply_to: str = ""
    date: dt.datetime | None = None
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    text: str = ""  # the full plain text (derived from HTML when the message has only HTML)
    html: str = ""  # sanitised HTML, "" when the message had none
    visible_text: str = ""  # the new text: quoted history and signature folded away
    attachments: tuple[ParsedAttachment, ...] = ()
    auto_reply: str = ""  # why it is an automatic message ("" for a person's message)
    is_bounce: bool = False
    bounced_recipients: tuple[str, ...] = ()
    bounced_message_ids: tuple[str, ...] = ()
    defects: tuple[str, ...] = field(default=())
    size: int = 0
    cut: tuple[CutContent, ...] = ()  # content left out (nested too deep): the ticket says so
    valid_from: str = ""  # from_email when it is a valid address (valid_email), else ""
    valid_reply_to: str = ""  # reply_to likewise

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """Message-IDs this message answers, most specific first."""
        seen: list[str] = []
        for message_id in (*self.in_reply_to, *reversed(self.references)):
            if message_id not in seen:
                seen.append(message_id)
        return tuple(seen)


# --- headers -----------------------------------------------------------------------------------------


# A header as the compat32 parser hands it over: text, a Header (raw 8-bit or unknown charsets), or missing.
HeaderValue = str | Header | None

_SURROGATE = re.compile("[\udc80-\udcff]")
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")


def decode_header(value: HeaderValue, hint: str | None = None, *, collapse: bool = True) -> str:
    """An RFC 2047 header (possibly raw 8-bit, possibly broken) to one line of text.

    `hint` is the charset the message declares elsewhere: raw 8-bit headers are nearly always in it.
    """
    if value is None:
        return ""
    if isinstance(value, email.header.Header):
        try:
            value = "".join(
                (guess_8bit(chunk, hint) if charset in (None, "unknown-8bit") else decode_bytes(chunk, charset, hint))
                if isinstance(chunk, bytes)
                else chunk
                for chunk, charset in email.header.decode_header(value)
            )
        except Exception:
            value = str(value)
    if not isinstance(value, str):
        value = str(value)
    if _SURROGATE.search(value):
        # raw 8-bit bytes that the parser smuggled in as surrogates
        value = guess_8bit(value.encode("ascii", "surrogateescape"), hint)
    if "=?" in value:
        # RFC 2047 forbids encoded words inside quotes, but many clients put them there
        value = re.sub(r'"(=\?[^"]*\?=)"', r"\1", value)
        try:
            parts = email.header.decode_header(value)
            value = "".join(
                decode_bytes(chunk, charset, hint) if isinstance(chunk, bytes) else chunk for chunk, charset in parts
            )
        except (ValueError, AssertionError, LookupError, binascii.Error):
            value = _ENCODED_WORD.sub(lambda m: _decode_word_loose(m.group(0)), value)
    value = value.replace("\r", "").replace("\n", " ").replace("\t", " ").replace("\x00", "")  # no NUL: PostgreSQL
    if collapse:
        value = " ".join(value.split())
    return value[:MAX_HEADER]


def _decode_word_loose(word: str) -> str:
    try:
        (chunk, charset), *_ = email.header.decode_header(word)
        return decode_bytes(chunk, charset) if isinstance(chunk, bytes) else chunk
    except Exception:
        return word


def raw_header(value: HeaderValue, hint: str | None = None) -> str:
    """A header's text as written, for reading its structure: raw 8-bit bytes become characters, but RFC 2047
    encoded words stay encoded, so quotes, angle brackets and commas are only the header's own, never ones
    that a decoded display name brings in."""
    if value is None:
        return ""
    if isinstance(value, email.header.Header):  # compat32 hands raw 8-bit headers over as unknown-8bit chunks
        try:
            value = "".join(
                guess_8bit(chunk, hint) if isinstance(chunk, bytes) else chunk
                for chunk, _charset in email.header.decode_header(value)
            )
        except Exception:
            value = str(value)
    value = str(value)
    if _SURROGATE.search(value):
        value = guess_8bit(value.encode("ascii", "surrogateescape"), hint)
    value = value.replace("\x00", "")  # no NUL: PostgreSQL cannot store it, and no address holds one
    value = " ".join(value.replace("\r", " ").replace("\n", " ").replace("\t", " ").split())
    if len(value) > RAW_HEADER_MAX:  # cut between two addresses, never inside one
        value = value[:RAW_HEADER_MAX].rpartition(",")[0]
    return value


def address_pairs(values: Iterable[HeaderValue], hint: str | None = None) -> list[tuple[str, str]]:
    """(display name, address) of an address header's values, the addresses taken from the undecoded header
    and only the display names decoded: a display name (whatever it decodes to, e.g. "anna@x <anna@x>, b@y")
    never becomes an address. An address written inside an encoded word is no address."""
    result = []
    for display, address in email.utils.getaddresses([raw_header(value, hint) for value in values]):
        address = _structural_address(address.strip().strip("<>").strip())
        display = neutral_name(decode_header(display, hint)).strip().strip('"').strip()
        if address or display:
            result.append((display, address.lower()))
    return result


_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+")


def _structural_address(address: str) -> str:
    """An address as the header's structure gives it. Encoded words have no place in an address: a local part
    written as one (`=?utf-8?q?agent?=@example.com`, as some mailers do) is decoded only when it decodes to
    plain atom characters, the domain always stays as written; anything else is no address."""
    if "=?" not in address and "?=" not in address:
        return address
    local, at, domain = address.rpartition("@")
    if not at or "=?" in domain or "?=" in domain:
        return ""
    decoded = decode_header(local) if local.startswith("=?") and local.endswith("?=") else ""
    if not _ATOM.fullmatch(decoded) or "=?" in decoded or "?=" in decoded:
        return ""
    return f"{decoded}@{domain}"


def _addresses(message: Message, name: str, hint: str | None = None) -> list[tuple[str, str]]:
    return address_pairs(message.get_all(name) or [], hint)


_EMAIL_IN_TEXT = re.compile(r"[\w.+'=-]+@[\w-]+(?:\.[\w-]+)*", re.UNICODE)


def _sender(message: Message, hint: str | None) -> tuple[str, str]:
    value = message.get("From") or message.get("Sender") or message.get("Return-Path")
    pairs = address_pairs([value], hint) if value is not None else []
    name, address = pairs[0] if pairs else ("", "")
    if "@" not in address:
        # no address where the header's structure puts one: an address written anywhere in the header as it
        # is, but never one inside an encoded word (that is a display name's text)
        raw = _ENCODED_WORD.sub(" ", raw_header(value, hint))
        found = _EMAIL_IN_TEXT.findall(raw)
        address = found[-1] if found else address
        if found and not name:
            name = decode_header(raw_header(value, hint).split("<")[0], hint) if "<" in raw else ""
    return name.strip().strip('"').strip()[:200], address.strip().strip("<>").lower()[:254]


_MESSAGE_ID = re.compile(r"<[^<>\s]+>")


def message_ids(value: HeaderValue) -> tuple[str, ...]:
    """Message-IDs in a References / In-Reply-To header, in order; bare ids without brackets tolerated."""
    text = decode_header(value)
    found = _MESSAGE_ID.findall(text)
    if not found and text.strip() and "@" in text and " " not in text.strip():
        found = [f"<{text.strip().strip('<>')}>"]
    return tuple(found)


def _date(message: Message) -> dt.datetime | None:
    try:
        value = email.utils.parsedate_to_datetime(decode_header(message.get("Date")))
    except (TypeError, ValueError, IndexError):
        return None
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value


# --- body --------------------------------------------------------------------------------------------


def _payload_bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogateescape")
    return b""


def _filename(part: Message, hint: str | None = None) -> str:
    name = None
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if not name:
        try:
            param = part.get_param("name")
        except Exception:
            param = None
        name = email.utils.collapse_rfc2231_value(param) if isinstance(param, tuple) else param  # RFC 2231 value
    if not name:
        return ""
    if isinstance(name, str) and "\ufffd" in name:
        raw = _raw_param(part)
        name = raw or name
    if isinstance(name, str) and any("\udc80" <= ch <= "\udcff" for ch in name):
        name = guess_8bit(name.encode("ascii", "surrogateescape"), part.get_content_charset() or hint)
    return safe_filename(decode_header(name, hint, collapse=False))


_RAW_NAME = re.compile(r'(?:file)?name\s*=\s*"?([^";\r\n]+)', re.IGNORECASE)


def _raw_param(part: Message) -> str:
    """The file name as raw header text (surrogate-escaped 8-bit bytes kept), for undeclared 8-bit names."""
    for header in ("Content-Disposition", "Content-Type"):
        for name, value in part.raw_items():  # the raw value; get_param() has already replaced the 8-bit bytes
            if name.lower() == header.lower() and isinstance(value, str):
                match = _RAW_NAME.search(value)
                if match:
                    return match.group(1)
    return ""


def safe_filename(name: str) -> str:
    name = neutral_name(name.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if ch >= " " and ch != "\x7f").strip().strip(".")
    return name[:255]


_EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/jpg": "jpg",
    "image/pjpeg": "jpg",
    "image/svg+xml": "svg",
    "video/quicktime": "mov",
    "audio/mpeg": "mp3",
    "text/plain": "txt",
    "text/html": "html",
    "text/calendar": "ics",
    "message/delivery-status": "txt",
    "text/rfc822-headers": "txt",
}


def _generated_name(content_type: str, content_id: str = "", description: str = "") -> str:
    """A name for a part that has none (the names other helpdesks give, so exports compare)."""
    local = content_id.strip("<>").split("@", 1)[0]
    if "." in local and re.fullmatch(r"[\w.() -]{1,100}", local):
        return safe_filename(local)
    if description and content_type in ("message/delivery-status", "text/rfc822-headers"):
        return safe_filename(description)[:200] + ".txt"
    main, _slash, sub = content_type.partition("/")
    if main in ("image", "video", "audio"):
        return f"{main}." + _EXTENSIONS.get(content_type, re.sub(r"[^a-z0-9]", "", sub.split("+")[0])[:10] or "bin")
    if content_type == "text/html":
        return "document.html"
    if content_type == "message/delivery-status":
        return "delivery-status.txt"
    return "file"


def _unique_names(attachments: list[ParsedAttachment]) -> list[ParsedAttachment]:
    seen: set[str] = set()
    result = []
    for attachment in attachments:
        name = attachment.filename
        if name in seen:
            stem, dot, extension = name.rpartition(".")
            stem, extension = (stem, "." + extension) if dot and stem else (name, "")
            number = 1
            while f"{stem}{number}{extension}" in seen:
                number += 1
            name = f"{stem}{number}{extension}"
            attachment = ParsedAttachment(
                name, attachment.content_type, attachment.content, attachment.is_inline, attachment.content_id
            )
        seen.add(name)
        result.append(attachment)
    return result


@dataclass
class _Body:
    text_parts: list[str] = field(default_factory=list)
    html_parts: list[str] = field(default_factory=list)
    attachments: list[ParsedAttachment] = field(default_factory=list)
    delivery_status: list[str] = field(default_factory=list)
    returned_headers: list[Message] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    hint: str | None = None  # the message's declared charset, for raw 8-bit headers and names
    cut: list[CutContent] = field(default_factory=list)


def _walk(message: Message, body: _Body, depth: int = 0, part: str = "") -> None:
    if depth > MAX_DEPTH:
        body.defects.append("nesting too deep")
        body.cut.append(CutContent(depth, part, message.get_content_type(), _count_parts(message)))
        return
    content_type = (message.get_content_type() or "text/plain").lower()
    disposition = (message.get_content_disposition() or "").lower()
    filename = _filename(message, body.hint)
    content_id = decode_header(message.get("Content-ID")).strip()
    description = decode_header(message.get("Content-Description"))
    if content_type == "message/rfc822":
        payload = message.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        data = inner.as_bytes() if isinstance(inner, Message) else _payload_bytes(message)
        inner = inner if isinstance(inner, Message) else email.message_from_bytes(data)
        body.returned_headers.append(inner)
        inner_subject = decode_header(inner["Subject"], body.hint, collapse=False)
        label = inner_subject or description
        name = filename or (safe_filename(label)[:200] + ".eml" if label else "message.eml")
        body.attachments.append(ParsedAttachment(name, "message/rfc822", data))
        return
    if content_type == "message/delivery-status":
        payload = message.get_payload()
        if isinstance(payload, list):  # compat32 splits the report into header blocks
            data = b"\n".join(block.as_bytes() for block in payload if isinstance(block, Message))
        else:
            data = _payload_bytes(message)
        body.delivery_status.append(decode_bytes(data, "utf-8"))
        name = filename or _generated_name(content_type, description=description)
        body.attachments.append(ParsedAttachment(name, "text/plain", data))
        return
    if content_type == "text/rfc822-headers":
        data = _payload_bytes(message)
        body.returned_headers.append(email.message_from_bytes(data))
        body.attachments.append(ParsedAttachment(filename or "file", "text/plain", data))
        return
    if message.is_multipart():
        for number, child in enumerate(message.get_payload() or [], start=1):
            if isinstance(child, Message):
                _walk(child, body, depth + 1, f"{part}.{number}" if part else str(number))
        return
    if content_type.startswith("multipart/"):
        # a multipart whose boundary never appears: the body is all there is, read it as text
        body.defects.append("multipart without parts")
        content_type = "text/plain"
    is_body_text = content_type in ("text/plain", "text/html") and disposition != "attachment" and not filename
    if is_body_text and content_type == "text/html" and body.html_parts:
        is_body_text = False  # a second HTML document (e.g. after an attachment) is kept as a file
    if is_body_text:
        text = decode_bytes(_payload_bytes(message), message.get_content_charset() or body.hint)
        (body.html_parts if content_type == "text/html" else body.text_parts).append(text)
        return
    data = _payload_bytes(message)
    if content_type == "application/ms-tnef" or filename.lower() in ("winmail.dat", "win.dat"):
        unpacked = _unpack_tnef(data, body)
        if unpacked is not None:
            body.attachments.extend(unpacked)
            return
    is_inline = disposition == "inline" or (bool(content_id) and disposition != "attachment")
    name = filename or _generated_name(content_type, content_id)
    body.attachments.append(
        ParsedAttachment(name, content_type[:200], data, is_inline=is_inline, content_id=content_id.strip("<>")[:300])
    )


def _count_parts(message: Message, limit: int = 100_000) -> int:
    """The text and file parts inside `message` (without recursion: it is nested deep)."""
    count, stack = 0, [message]
    while stack and count < limit:
        item = stack.pop()
        payload = item.get_payload() if item.is_multipart() else None
        if isinstance(payload, list):
            stack.extend(child for child in payload if isinstance(child, Message))
        else:
            count += 1
    return count


def _unpack_tnef(data: bytes, body: _Body) -> list[ParsedAttachment] | None:
    """Files inside an Outlook `winmail.dat`; None (keep the .dat as it is) when it cannot be read at all."""
    try:
        import tnefparse

        tnef = tnefparse.TNEF(data)
    except Exception as exc:
        body.defects.append(f"TNEF: {exc}")
        return None
    files = []
    for index, attachment in enumerate(tnef.attachments, start=1):
        try:
            content = attachment.data
            if isinstance(content, list):
                content = b"".join(content)
            name = attachment.long_filename() or attachment.name
            if isinstance(name, bytes):
                name = decode_bytes(name, "windows-1252")
        except Exception as exc:
            body.defects.append(f"TNEF attachment {index}: {exc}")
            continue
        name = safe_filename(str(name or "").rstrip("\x00")) or f"winmail-{index}.bin"
        files.append(ParsedAttachment(name, "application/octet-stream", bytes(content or b"")))
    readable = bool(files)
    try:
        text = tnef.body or b""
        if isinstance(text, bytes):
            text = decode_bytes(text, "windows-1252")
        if text.strip():
            body.text_parts.append(text)
            readable = True
        elif getattr(tnef, "htmlbody", None):
            html = tnef.htmlbody
            body.html_parts.append(decode_bytes(html, "utf-8") if isinstance(html, bytes) else html)
            readable = True
        rtf = getattr(tnef, "rtfbody", None)
        if rtf and not readable:
            files.append(ParsedAttachment("tresc.rtf", "application/rtf", bytes(rtf)))
            readable = True
    except Exception as exc:
        body.defects.append(f"TNEF body: {exc}")
    return files if readable else None


_UU_BEGIN = re.compile(r"^begin [0-7]{3,4} (.+)$", re.MULTILINE)


def extract_uuencoded(text: str) -> tuple[str, list[ParsedAttachment]]:
    """uuencoded blocks inside a text body: decoded into attachments and removed from the text."""
    if "begin " not in text:
        return text, []
    found: list[ParsedAttachment] = []
    lines = text.split("\n")
    out: list[str] = []
    index = 0
    while index < len(lines):
        match = _UU_BEGIN.match(lines[index].rstrip("\r"))
        end = None
        if match:
            for cursor in range(index + 1, len(lines)):
                if lines[cursor].strip() == "end":
                    end = cursor
                    break
        if match and end is not None:
            data = bytearray()
            for line in lines[index + 1 : end]:
                line = line.rstrip("\r\n")
                if not line or line == "`":
                    continue
                try:
                    data += binascii.a2b_uu(line)
                except binascii.Error:
                    # some encoders pad short lines wrongly: decode what the length byte says
                    length = ((ord(line[0]) - 32) & 63) * 4 // 3
                    data += binascii.a2b_uu(line[: length + 1])
            name = safe_filename(match.group(1)) or f"zalacznik-{len(found) + 1}.bin"
            found.append(ParsedAttachment(name, "application/octet-stream", bytes(data)))
            index = end + 1
            continue
        out.append(lines[index])
        index += 1
    return "\n".join(out), found


# --- the whole message -------------------------------------------------------------------------------


_HEADER_LINE = re.compile(rb"^[!-9;-~]+[ \t]*:")
_MBOX_FROM = re.compile(rb"^From \S+")


def repair_headers(raw: bytes) -> bytes:
    """Mend the header block so a strict parser reads what a mail client would show.

    Drops an mbox "From " line and junk before the first header, turns a wrapped header line that lost its
    leading space back into a continuation, and starts the body where a header block runs into text without
    the blank separator line.
    """
    newline = b"\r\n" if b"\r\n" in raw[:4096] else b"\n"
    lines = raw.split(newline)
    out: list[bytes] = []
    index = 0
    while index < len(lines) and index < 50 and not _HEADER_LINE.match(lines[index]):
        if not lines[index].strip() and out:
            break
        index += 1  # an mbox "From " line or other junk above the headers
    if index >= min(len(lines), 50):
        return raw  # no header block found: leave it to the parser
    start = index
    for index in range(start, len(lines)):
        line = lines[index]
        if not line.strip():
            return newline.join(out + lines[index:])
        if _HEADER_LINE.match(line) or line[:1] in (b" ", b"\t"):
            out.append(line)
        elif out and (b" " not in line.strip() or _header_follows(lines, index)):
            out.append(b" " + line)  # a wrapped value that lost its indentation
        else:
            return newline.join([*out, b"", *lines[index:]])  # body without the blank line
    return newline.join(out)


def _header_follows(lines: list[bytes], index: int) -> bool:
    for line in lines[index + 1 : index + 8]:
        if not line.strip():
            return False
        if _HEADER_LINE.match(line):
            return True
    return False


class NestingTooDeepToRead(email.errors.MessageDefect):
    """The body nests MIME parts deeper than Python's parser can follow: only the headers were read."""


def _load(raw: bytes) -> Message:
    # compat32 never raises on bad headers (the modern policy does); we decode headers ourselves.
    repaired = repair_headers(raw)
    try:
        return email.message_from_bytes(repaired)
    except RecursionError:
        message = email.parser.BytesHeaderParser().parsebytes(repaired)
        message.defects.append(NestingTooDeepToRead())
        return message


def _charset_hint(message: Message) -> str | None:
    try:
        charsets = [charset for charset in message.get_charsets() if charset]
    except Exception:
        return None
    specific = [c for c in charsets if c.lower() not in ("us-ascii", "utf-8", "utf8")]
    found = specific or charsets
    return found[0] if found else None


def content_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def parse(raw: bytes) -> ParsedMessage:
    """Parse one message. Never raises on malformed input: problems are listed in `defects`."""
    return _parsed(_load(raw), raw)


def parse_with_headers(raw: bytes) -> tuple[ParsedMessage, Headers]:
    """(parse(raw), parse_headers_only(raw)) reading the message once: parse_headers_only reads the header
    block of the first HEADERS_READ bytes with the same parser, so for a message of at most that size the
    headers of the full parse are the same ones."""
    if len(raw) > HEADERS_READ:
        return parse(raw), parse_headers_only(raw)
    message = _load(raw)
    parsed = _parsed(message, raw)
    try:
        headers = _headers(message, parsed)
    except Exception:
        headers = Headers("", "", "")
    return parsed, headers


def _parsed(message: Message, raw: bytes) -> ParsedMessage:
    hint = _charset_hint(message)
    body = _Body(hint=hint)
    if any(isinstance(defect, NestingTooDeepToRead) for defect in message.defects):
        body.cut.append(CutContent(0, "", message.get_content_type()))
    else:
        _walk(message, body)
    body.defects += [type(defect).__name__ for defect in getattr(message, "defects", [])]

    html_source = "\n".join(body.html_parts)
    text = "\n\n".join(part.strip("\n") for part in body.text_parts if part.strip())
    if not text.strip() and html_source:
        text = htmltext.html_to_text(html_source)
    text, uuencoded = extract_uuencoded(text)
    attachments = tuple(_unique_names(body.attachments + uuencoded))
    text = text.replace("\r\n", "\n").replace("\r", "\n")

    # The visible part: from the HTML when that is all there is (blockquotes mark quotes there), else text.
    quote_source = htmltext.html_to_text(html_source, quote_blockquotes=True) if not body.text_parts else text
    visible = quotes.visible_text(quote_source)

    subject = decode_header(message.get("Subject"), hint)
    from_name, from_email = _sender(message, hint)
    headers = {name.lower(): decode_header(value, hint) for name, value in message.items()}
    auto_reason = autoreply.automatic_reason(headers, subject, from_email)
    bounce = autoreply.is_bounce(message.get_content_type(), headers, subject, from_email)
    bounced_recipients: list[str] = []
    bounced_ids: list[str] = []
    if bounce:
        bounced_recipients = autoreply.failed_recipients(body.delivery_status, text)
        for returned in body.returned_headers:
            bounced_ids += message_ids(returned.get("Message-ID"))
        if not bounced_ids:
            bounced_ids = list(message_ids(message.get("In-Reply-To")))

    reply_to = next((address for _name, address in _addresses(message, "Reply-To") if address), "")
    return ParsedMessage(
        message_id=(message_ids(message.get("Message-ID")) or ("",))[0][:MAX_HEADER],
        subject=subject,
        from_name=from_name,
        from_email=from_email,
        to=tuple(address for _name, address in _addresses(message, "To") if address),
        cc=tuple(address for _name, address in _addresses(message, "Cc") if address),
        reply_to=reply_to,
        date=_date(message),
        in_reply_to=message_ids(message.get("In-Reply-To")),
        references=message_ids(message.get("References")),
        text=text.strip("\n"),
        html=sanitize_html(html_source) if html_source else "",
        visible_text=visible,
        attachments=attachments,
        auto_reply="" if bounce else auto_reason,
        is_bounce=bounce,
        bounced_recipients=tuple(bounced_recipients),
        bounced_message_ids=tuple(dict.fromkeys(bounced_ids)),
        defects=tuple(body.defects),
        cut=tuple(body.cut),
        size=len(raw),
        valid_from=valid_email(from_email),
        valid_reply_to=valid_email(reply_to),
    )


def valid_email(address: str) -> str:
    """The address when it is a valid one (Django's validate_email), else ""."""
    try:
        validate_email(address)
    except ValidationError:
        return ""
    return address


@dataclass(frozen=True)
class Headers:
    message_id: str
    subject: str
    from_email: str


HEADERS_READ = 262144  # bytes of a message parse_headers_only looks at


def parse_headers_only(raw: bytes) -> Headers:
    """The few headers stored beside the raw message (cheap: the body is not parsed)."""
    try:
        return _headers(email.parser.BytesHeaderParser().parsebytes(repair_headers(raw[:HEADERS_READ])))
    except Exception:
        return Headers("", "", "")


def _headers(message: Message, parsed: ParsedMessage | None = None) -> Headers:
    """The stored headers of `message`; `parsed`: its parse (parse_with_headers), whose subject and sender are
    these when it decoded them with the same charset hint (a message of one part: its own charset): the same
    calls on the same headers, not made twice (the sender's address parsing is most of it)."""
    hint = message.get_content_charset()
    if parsed is not None and hint == _charset_hint(message):
        subject, from_email = parsed.subject, parsed.from_email
    else:
        subject, from_email = decode_header(message.get("Subject"), hint), _sender(message, hint)[1]
    return Headers(
        message_id=(message_ids(message.get("Message-ID")) or ("",))[0], subject=subject, from_email=from_email
    )
