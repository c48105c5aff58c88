"""The IMAP watcher: fetch → store raw → process → only then flag/move/delete on the server.

Progress is the stored rows themselves: a UID is fetched only when no row holds it for the folder's current
UIDVALIDITY, so a crash anywhere (after fetch, after store, before the flag) never loses or doubles a message:
- killed before the row was committed → the UID is fetched again next time;
- killed after the row, before processing → the row is pending and processed on the next pass;
- killed before the server action → the row is done but its UID is above the mailbox's watermark
  (WatcherState.server_done_uid); the action is redone.
A new UIDVALIDITY means every UID is fetched again; the dedupe key turns each copy into a "duplicate".

One watcher per mailbox holds a lease row (WatcherState), claimed with an atomic UPDATE and renewed while
it works, so a second watcher on another machine waits instead of double-fetching.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import os
import queue
import signal
import socket
import ssl
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, close_old_connections, connection
from django.db.models import Max, Q
from django.utils import timezone
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from helpdesk import speed
from inbox_ingest import actions, connection_rules, credentials, pipeline
from inbox_ingest.models import Mailbox, RawMessage, WatcherState

log = logging.getLogger(__name__)

MAX_BACKOFF = 300
DATABASE_BACKOFF_MAX = 30  # the database away: try again at least this often (nothing is lost meanwhile)
SEEN = b"\\Seen"
UIDS_PER_COMMAND = 2000  # UIDs named in one command (sizes, server action): a line well under servers' limits


class MailboxConfigError(Exception):
    pass


class ConnectFailed(OSError):
    """The server could not be reached or did not speak (TLS and) IMAP. One message for every cause, so the
    admin's mailbox form cannot be used to tell open, closed and filtered ports or other services apart; the
    cause is in the watcher's log for the operators."""

    def __init__(self, mailbox: Mailbox):
        super().__init__(
            f"mailbox {mailbox.name}: could not open an IMAP connection (TLS) to the configured server and port"
        )


class Prefetcher:
    """Fetches the batches in order in a thread, at most one ahead of the one being ingested: waiting for the
    server's answer and reading it off TLS overlap storing and processing the batch before. Iterating gives the
    fetched batches in order and re-raises a failed fetch. Fetching is read-only (BODY.PEEK), so a batch fetched
    ahead and never stored (a crash, a stop) is simply fetched again next time. Other users of the IMAP client
    hold `lock` (imapclient is not thread-safe). No database in the thread.

    `then(number, fetched)`, when given, runs in the thread on each fetched batch (outside `lock`) and what it
    returns is given instead: the watcher hands the batch to the parsing workers there, as soon as it is fetched,
    so the ingesting thread need not wait for the next fetch to start writing the batch it has."""

    def __init__(
        self,
        fetch: Callable[[list[int]], list[dict]],
        batches: list[list[int]],
        then: Callable[[int, list[dict]], Any] | None = None,
    ) -> None:
        self.lock = threading.Lock()
        self._fetch, self._batches, self._then = fetch, batches, then
        self._ready: queue.Queue = queue.Queue(maxsize=1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="imap-prefetch", daemon=True)

    def _run(self) -> None:
        try:
            for number, batch in enumerate(self._batches):
                if self._stop.is_set():
                    return
                with self.lock:
                    items = self._fetch(batch)
                self._put(("items", items if self._then is None else self._then(number, items)))
            self._put(("end", None))
        except BaseException as exc:  # handed to the iterating thread
            self._put(("error", exc))

    def _put(self, item: tuple) -> None:
        while not self._stop.is_set():
            try:
                self._ready.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def __iter__(self) -> Iterator[Any]:
        while True:
            kind, value = self._ready.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value

    def __enter__(self) -> Prefetcher:
        if self._batches:
            self._thread.start()
        else:
            self._ready.put(("end", None))
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


def fetch_batches(uids: list[int], sizes: dict[int, int], count: int, size: int) -> list[list[int]]:
    """`uids` in order, cut into batches of at most `count` messages and `size` bytes (by the sizes the server
    gave; a larger message is a batch of its own). What the watcher holds in memory is a few batches (one being
    written, the next parsed, the one after fetched and handed to the workers), so this bounds it whatever the
    messages weigh, and lets a batch of small messages be large, which spreads the per-batch costs (commits,
    lease, server flags, plans)."""
    batches: list[list[int]] = []
    batch: list[int] = []
    weight = 0
    for uid in uids:
        if batch and (len(batch) >= count or weight + sizes.get(uid, 0) > size):
            batches.append(batch)
            batch, weight = [], 0
        batch.append(uid)
        weight += sizes.get(uid, 0)
    if batch:
        batches.append(batch)
    return batches


def _fault(point: str) -> None:
    """Test-only fault injection (INBOX_FAULT_AT="after_store:3" kills the process the 3rd time it gets
    there), used by the fault tests that restart the watcher and check every message exists exactly once."""
    spec = os.environ.get("INBOX_FAULT_AT", "")
    if not spec.startswith(point + ":"):
        return
    counter = _fault.counts.get(point, 0) + 1  # type: ignore[attr-defined]
    _fault.counts[point] = counter  # type: ignore[attr-defined]
    if counter >= int(spec.split(":", 1)[1]):
        os._exit(137)


_fault.counts = {}  # type: ignore[attr-defined]


def _dead_on_this_host(owner: str) -> bool:
    """Whether a lease holder ("host:pid:nonce") is a process of this machine that no longer runs."""
    host, _sep, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class TokenError(Exception):
    """The OAuth2 token provider could not give an access token (e.g. the identity platform is away): retried."""


def access_token(mailbox: Mailbox, *, force_refresh: bool = False) -> str:
    """An OAuth2 access token from the mailbox's provider: a dotted path to `provider(mailbox, *, force_refresh=False)`.

    `force_refresh=True` after the server refused the previous token, so a provider that caches tokens (MSAL,
    google-auth) fetches a new one instead of handing back the refused one. A provider without that keyword is
    simply called again."""
    if not mailbox.token_provider:
        raise MailboxConfigError(f"mailbox {mailbox.name}: XOAUTH2 needs a token provider")
    module, _dot, name = mailbox.token_provider.rpartition(".")
    try:
        provider = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise MailboxConfigError(
            f"mailbox {mailbox.name}: token provider {mailbox.token_provider} cannot be imported: {exc}"
        ) from exc
    try:
        accepts_refresh = "force_refresh" in inspect.signature(provider).parameters
    except (TypeError, ValueError):
        accepts_refresh = False
    try:
        token = provider(mailbox, force_refresh=force_refresh) if accepts_refresh else provider(mailbox)
    except Exception as exc:
        raise TokenError(f"mailbox {mailbox.name}: token provider {mailbox.token_provider} failed: {exc}") from exc
    if not token or not isinstance(token, str):
        raise TokenError(f"mailbox {mailbox.name}: token provider {mailbox.token_provider} returned no token")
    return token


def _secret(mailbox: Mailbox, *, force_refresh: bool = False) -> str:
    if mailbox.auth == Mailbox.Auth.XOAUTH2:
        return access_token(mailbox, force_refresh=force_refresh)
    return mailbox_password(mailbox)


def mailbox_password(mailbox: Mailbox) -> str:
    """The environment variable named by the mailbox, when it is set, else the password typed in the admin."""
    if mailbox.secret_env and mailbox.secret_env in os.environ:
        return os.environ[mailbox.secret_env]
    if mailbox.password_encrypted:
        try:
            return mailbox.stored_password()
        except credentials.PasswordUnreadable as exc:
            raise MailboxConfigError(f"mailbox {mailbox.name}: {exc}") from exc
    if mailbox.secret_env:
        raise MailboxConfigError(f"mailbox {mailbox.name}: environment variable {mailbox.secret_env} is not set")
    raise MailboxConfigError(
        f"mailbox {mailbox.name}: type the password in the admin or set the name of an environment variable with it"
    )


def connect(mailbox: Mailbox, *, force_refresh: bool = False) -> IMAPClient:
    """Connect and log in. For XOAUTH2 the provider is asked for a token on every connection (`force_refresh`
    after a refused one); a refused token raises LoginError with a message saying so. The mailbox is held to
    inbox_ingest.connection_rules first (MailboxConfigError); a server that cannot be reached or does not
    speak (TLS and) IMAP raises ConnectFailed, the same for every cause."""
    if found := connection_rules.mailbox_problems(mailbox):
        raise MailboxConfigError(f"mailbox {mailbox.name}: " + " ".join(found.values()))
    context = ssl.create_default_context()
    if not mailbox.verify_certificate:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    secret = _secret(mailbox, force_refresh=force_refresh)
    client = None
    try:
        client = IMAPClient(
            mailbox.host,
            port=mailbox.port,
            ssl=mailbox.security == Mailbox.Security.SSL,
            ssl_context=context,
            timeout=settings.INBOX_IMAP_TIMEOUT,
        )
        if mailbox.security == Mailbox.Security.STARTTLS:
            client.starttls(context)
    except Exception as exc:
        log.warning("mailbox %s: connecting to %s:%s failed: %s: %s", mailbox.name, mailbox.host, mailbox.port,
                    type(exc).__name__, str(exc)[:200])  # fmt: skip
        if client is not None:
            try:
                client.shutdown()
            except Exception:
                log.debug("shutdown after a failed connection failed", exc_info=True)
        raise ConnectFailed(mailbox) from None
    try:
        if mailbox.auth == Mailbox.Auth.XOAUTH2:
            try:
                client.oauth2_login(mailbox.username, secret)
            except LoginError as exc:
                raise LoginError(
                    f"XOAUTH2: the server refused the access token for {mailbox.username} ({exc}); "
                    "a fresh token will be requested from the provider on reconnect"
                ) from exc
        else:
            client.login(mailbox.username, secret)
    except BaseException:
        try:
            client.shutdown()
        except Exception:  # already closed by the server
            log.debug("shutdown after a failed login failed", exc_info=True)
        raise
    return client


class Watcher:
    def __init__(
        self, mailbox: Mailbox, *, owner: str | None = None, report: Callable | None = None, workers: int | None = None
    ) -> None:
        self.mailbox = mailbox
        self.workers = settings.INBOX_PARSE_WORKERS if workers is None else workers
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.report = report or (lambda result: None)
        self.stop = threading.Event()
        WatcherState.objects.get_or_create(mailbox=mailbox)

    # --- the lease ------------------------------------------------------------------------------------

    def claim(self) -> bool:
        now = timezone.now()
        free = Q(lease_until__isnull=True) | Q(lease_until__lt=now) | Q(lease_owner=self.owner)
        holder = WatcherState.objects.filter(pk=self.mailbox.pk).values_list("lease_owner", flat=True).first()
        if holder and _dead_on_this_host(holder):
            free |= Q(lease_owner=holder)  # a watcher on this machine that was killed: no need to wait it out
        until = now + timedelta(seconds=settings.INBOX_LEASE_SECONDS)
        return bool(
            WatcherState.objects.filter(free, pk=self.mailbox.pk).update(lease_owner=self.owner, lease_until=until)
        )

    def renew(self, backlog: int) -> None:
        """Between batches: extend our lease and record what is left, in one statement (a lease another
        watcher took meanwhile is not ours to extend)."""
        until = timezone.now() + timedelta(seconds=settings.INBOX_LEASE_SECONDS)
        WatcherState.objects.filter(pk=self.mailbox.pk, lease_owner=self.owner).update(
            lease_until=until, backlog=backlog
        )

    def release(self) -> None:
        WatcherState.objects.filter(pk=self.mailbox.pk, lease_owner=self.owner).update(
            lease_until=None, connected=False
        )

    def _state(self, **fields: object) -> None:
        WatcherState.objects.filter(pk=self.mailbox.pk).update(**fields)

    def _failed(self, exc: BaseException) -> None:
        try:
            self._state(connected=False, last_error=f"{type(exc).__name__}: {exc}"[:2000], last_error_at=timezone.now())
        except DatabaseError as db_exc:  # the database is away as well: the log has it
            log.warning("mailbox %s: could not record the error (%s)", self.mailbox.name, db_exc)

    # --- one pass -------------------------------------------------------------------------------------

    def run_once(self, client: IMAPClient | None = None) -> int:
        """Fetch, store, process and finish every new message; returns how many were fetched."""
        if not self.claim():
            log.info("mailbox %s is held by another watcher", self.mailbox.name)
            return 0
        own_client = client is None
        try:
            client = client or self._connect_once()
            self._state(connected=True, idle=client.has_capability("IDLE"))
            if own_client:
                self._log_connected(client)
            fetched = self._pass(client)
            self._state(last_fetch_at=timezone.now(), backlog=0, last_error="")
            return fetched
        except Exception as exc:
            self._failed(exc)
            raise
        finally:
            if own_client:  # a one-shot pass (cron): log out and let the mailbox go
                if client is not None:
                    try:
                        client.logout()
                    except Exception:  # the connection may already be gone
                        log.debug("logout failed", exc_info=True)
                self.release()

    def _log_connected(self, client: IMAPClient) -> None:
        box = self.mailbox
        log.info(
            "mailbox %s: connected to %s:%s (%s, %s) as %s, folder %s; %s",
            box.name, box.host, box.port, box.security, box.auth, box.username, box.folder,
            "waits for mail with IDLE" if client.has_capability("IDLE") else f"polls every {box.poll_seconds} s",
        )  # fmt: skip

    def _connect_once(self) -> IMAPClient:
        """A one-shot connection; a refused OAuth2 token is retried once with a freshly requested one."""
        try:
            return connect(self.mailbox)
        except LoginError:
            if self.mailbox.auth != Mailbox.Auth.XOAUTH2:
                raise
            log.warning("mailbox %s: access token refused, asking the provider for a fresh one", self.mailbox.name)
            return connect(self.mailbox, force_refresh=True)

    def _pass(self, client: IMAPClient) -> int:
        selected = client.select_folder(self.mailbox.folder)
        uidvalidity = int(selected[b"UIDVALIDITY"])
        self._state(uidvalidity=uidvalidity)
        self._process_pending()
        self._finish_on_server(client, uidvalidity)
        last = RawMessage.objects.filter(mailbox=self.mailbox, uidvalidity=uidvalidity).aggregate(top=Max("uid"))
        last_uid = last["top"] or 0
        sizes = self._new_messages(client, last_uid)
        uids = sorted(sizes)
        if uids:
            log.info("mailbox %s: %s new message(s) in %s, UIDs %s–%s", self.mailbox.name, len(uids),
                     self.mailbox.folder, uids[0], uids[-1])  # fmt: skip
            self._state(backlog=len(uids))
        fetched = 0
        batches = fetch_batches(uids, sizes, settings.INBOX_FETCH_BATCH, settings.INBOX_FETCH_BATCH_BYTES)
        left = len(uids)
        # Batch N+2 is fetched (in a thread) and batch N+1 parsed (by the parsing workers, handed to them by that
        # thread once fetched) while batch N is stored and processed; storing, processing and the server action
        # keep their order (see the top). The first batch is parsed here while the workers start.
        with pipeline.Preparer(self.workers if len(batches) > 1 else 0) as preparer:
            preparer.start()

            def parse_ahead(number: int, items: list[dict]) -> tuple[list[dict], Callable]:
                raws = [item["raw"] for item in items]
                return items, preparer.submit(raws) if number else preparer.here(raws)

            with Prefetcher(lambda batch: self._fetch(client, batch, uidvalidity), batches, parse_ahead) as fetches:
                for number, (items, prepared) in enumerate(fetches):
                    if self.stop.is_set():
                        break
                    fetched += self._ingest(client, uidvalidity, items, prepared, fetches.lock)
                    left -= len(batches[number])
                    if left:
                        self.renew(backlog=left)
        return fetched

    def _new_messages(self, client: IMAPClient, last_uid: int) -> dict[int, int]:
        """UID → size (RFC822.SIZE, which bounds a batch's bytes) of every message after `last_uid`: one SEARCH,
        then the sizes by FETCH, UIDS_PER_COMMAND UIDs a command. `N:*` names the last message even when its UID
        is below N."""
        uids = sorted(uid for uid in client.search(["UID", f"{last_uid + 1}:*"]) if uid > last_uid)
        sizes: dict[int, int] = {}
        for start in range(0, len(uids), UIDS_PER_COMMAND):
            chunk = uids[start : start + UIDS_PER_COMMAND]
            data = client.fetch(chunk, ["RFC822.SIZE"])
            sizes.update((uid, int(data[uid].get(b"RFC822.SIZE") or 0)) for uid in chunk if uid in data)
        return sizes

    def _fetch(self, client: IMAPClient, batch: list[int], uidvalidity: int) -> list[dict]:
        data = client.fetch(batch, ["BODY.PEEK[]"])
        items = []
        for uid in batch:
            if uid not in data or b"BODY[]" not in data[uid]:
                continue  # expunged meanwhile
            _fault("after_fetch")
            items.append(
                {
                    "raw": bytes(data[uid][b"BODY[]"]),
                    "mailbox": self.mailbox,
                    "uidvalidity": uidvalidity,
                    "uid": uid,
                    "source": f"imap:{self.mailbox.name}/{self.mailbox.folder}",
                }
            )
        return items

    def _ingest(
        self,
        client: IMAPClient,
        uidvalidity: int,
        items: list[dict],
        prepared: Callable[[], list | None],
        lock: threading.Lock,
    ) -> int:
        """Store, process and finish one fetched batch; `prepared`: gives its parse (pipeline.Preparer: from the
        workers, or made here; None: parsed while processing); `lock`: held while the client is in use (the
        Prefetcher's thread fetches with it)."""
        with speed.batch():
            parsed = prepared()
            if parsed is not None and len(parsed) == len(items):
                for item, ahead in zip(items, parsed, strict=True):
                    item["prepared"] = ahead
            rows = actions.store_batch(items)
            for _row in rows:
                _fault("after_store")
            ahead = {row.pk: item["prepared"] for row, item in zip(rows, items, strict=True) if "prepared" in item}
            results = actions.process_batch([row.pk for row in rows], ahead)
        for result in results:
            self.report(result)
        self._log_outcomes(len(items), results)
        _fault("before_flag")
        with lock:
            self._finish_on_server(client, uidvalidity)
        return len(rows)

    def _log_outcomes(self, fetched: int, results: list) -> None:
        """One line per batch: how many were fetched and what became of them (opened, appended, quarantined…)."""
        outcomes = Counter(result.outcome for result in results)
        summary = ", ".join(f"{outcome} {count}" for outcome, count in sorted(outcomes.items())) or "nothing new"
        log.info("mailbox %s: batch of %s stored and processed: %s", self.mailbox.name, fetched, summary)

    def _process_pending(self) -> None:
        """Rows stored by a run that died before processing them."""
        pending = RawMessage.objects.filter(mailbox=self.mailbox, status=RawMessage.Status.PENDING)
        ids = list(pending.order_by("pk").values_list("pk", flat=True))
        if ids:
            log.info("mailbox %s: %s message(s) stored by an earlier run are processed now", self.mailbox.name,
                     len(ids))  # fmt: skip
        for start in range(0, len(ids), settings.INBOX_FETCH_BATCH):
            with speed.batch():
                results = actions.process_batch(ids[start : start + settings.INBOX_FETCH_BATCH])
            for result in results:
                self.report(result)
            self._log_outcomes(len(results), results)

    def _finish_on_server(self, client: IMAPClient, uidvalidity: int) -> None:
        """Mark seen / move / delete the messages that are safely processed (or quarantined), in UID order from
        the mailbox's watermark (WatcherState.server_done_uid) up to the first one still pending, then move the
        watermark past them: one row updated, whatever the number of messages (UIDS_PER_COMMAND at a time).
        Killed in between, the action is done again from the old watermark, as it was when each message
        recorded its own (adding \\Seen again changes nothing; moved or deleted UIDs are gone from the folder)."""
        done = (
            WatcherState.objects.filter(pk=self.mailbox.pk, server_done_uidvalidity=uidvalidity)
            .values_list("server_done_uid", flat=True)
            .first()
        ) or 0
        rows = RawMessage.objects.filter(mailbox=self.mailbox, uidvalidity=uidvalidity, uid__gt=done)
        uids: list[int] = []
        for uid, status in rows.order_by("uid").values_list("uid", "status"):
            if status == RawMessage.Status.PENDING or uid is None:  # not processed yet: the watermark stops below it
                break
            uids.append(uid)
        for start in range(0, len(uids), UIDS_PER_COMMAND):
            chunk = uids[start : start + UIDS_PER_COMMAND]
            self._server_action(client, chunk)
            self._state(server_done_uidvalidity=uidvalidity, server_done_uid=chunk[-1])

    def _server_action(self, client: IMAPClient, uids: list[int]) -> None:
        action = self.mailbox.after_ingest
        if action == Mailbox.AfterIngest.MARK_SEEN:
            client.add_flags(uids, [SEEN], silent=True)
        elif action == Mailbox.AfterIngest.MOVE:
            target = self.mailbox.move_to or "Przyjete"
            if not client.folder_exists(target):
                client.create_folder(target)
            client.add_flags(uids, [SEEN], silent=True)
            if client.has_capability("MOVE"):
                client.move(uids, target)
            else:
                client.copy(uids, target)
                client.delete_messages(uids, silent=True)
                client.uid_expunge(uids) if client.has_capability("UIDPLUS") else client.expunge()
        else:
            client.delete_messages(uids, silent=True)
            client.uid_expunge(uids) if client.has_capability("UIDPLUS") else client.expunge()

    # --- forever --------------------------------------------------------------------------------------

    def watch(self) -> None:
        """Run until stopped: IDLE when the server has it, polling otherwise, reconnecting with backoff."""
        log.info("mailbox %s: watcher %s starts", self.mailbox.name, self.owner)
        backoff = 1
        refresh_token = False  # the server refused the last OAuth2 token: ask the provider for a new one
        while not self.stop.is_set():
            close_old_connections()
            try:
                claimed = self.claim()
            except DatabaseError as exc:
                backoff = self._database_away(exc, backoff)
                continue
            if not claimed:
                self.stop.wait(min(30, settings.INBOX_LEASE_SECONDS / 4))
                continue
            client = None
            try:
                client = connect(self.mailbox, force_refresh=refresh_token)
                backoff, refresh_token = 1, False
                self._log_connected(client)
                while not self.stop.is_set():
                    self.run_once(client)
                    self._wait_for_mail(client)
            except DatabaseError as exc:
                # PostgreSQL terminated our connection or is unreachable: what was stored and not processed stays
                # pending, what was not stored is fetched again, nothing was flagged on the server before it was
                # processed (see the top); reconnect to both and carry on, no restart needed
                backoff = self._database_away(exc, backoff)
            except MailboxConfigError as exc:
                self._state(connected=False, last_error=str(exc), last_error_at=timezone.now())
                log.error("%s", exc)
                self.stop.wait(MAX_BACKOFF)
            except (OSError, IMAPClientError, ssl.SSLError, TokenError) as exc:
                self._failed(exc)
                refused = isinstance(exc, LoginError) and self.mailbox.auth == Mailbox.Auth.XOAUTH2
                if refused and not refresh_token:
                    # A cached token expired or was revoked: one immediate retry with a fresh token; a fresh
                    # token refused as well waits like any other failure.
                    refresh_token = True
                    log.warning("mailbox %s: %s; reconnecting now", self.mailbox.name, exc)
                    continue
                refresh_token = refused
                log.warning("mailbox %s: %s; reconnecting in %ss", self.mailbox.name, exc, backoff)
                self.stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
            finally:
                if client is not None:
                    try:
                        client.logout()
                    except Exception:
                        log.debug("logout failed", exc_info=True)
        try:
            self.release()
        except DatabaseError as exc:  # stopped while the database is away: the lease runs out by itself
            log.warning("mailbox %s: the lease could not be released (%s)", self.mailbox.name, exc)
        log.info("mailbox %s: watcher %s stopped", self.mailbox.name, self.owner)
        connection.close()  # this thread's own database connection

    def _database_away(self, exc: DatabaseError, backoff: int) -> int:
        """Log, drop the broken connection, wait; the next wait (doubling, at most DATABASE_BACKOFF_MAX)."""
        if isinstance(exc, OperationalError | InterfaceError):
            log.warning("mailbox %s: the database is unreachable (%s: %s); trying again in %ss", self.mailbox.name,
                        type(exc).__name__, str(exc).strip()[:200], backoff)  # fmt: skip
        else:  # not the database being away (e.g. a query the database refused): the traceback says where
            log.error("mailbox %s: database error (%s: %s); trying again in %ss", self.mailbox.name,
                      type(exc).__name__, str(exc).strip()[:200], backoff, exc_info=exc)  # fmt: skip
        try:
            connection.close()
        except DatabaseError:
            log.debug("closing the broken connection failed", exc_info=True)
        self.stop.wait(backoff)
        return min(backoff * 2, DATABASE_BACKOFF_MAX)

    def _wait_for_mail(self, client: IMAPClient) -> None:
        wait = max(1, min(self.mailbox.poll_seconds, settings.INBOX_LEASE_SECONDS // 3))
        if not client.has_capability("IDLE"):
            self.stop.wait(wait)
            return
        # IDLE announces only what arrives after it starts: a message delivered since the pass's search would wait a
        # whole `wait` (the tests saw it under load), or its EXISTS came before IDLE's "+" and imapclient refused it.
        # The NOOP has the server report it now; the pass that follows fetches it.
        _text, updates = client.noop()
        if any(b"EXISTS" in update or b"RECENT" in update for update in updates if isinstance(update, tuple)):
            return
        client.idle()
        try:
            if _read_ahead(client):  # mail delivered between the NOOP and IDLE, announced with IDLE's "+"
                return
            deadline = time.monotonic() + wait
            while not self.stop.is_set() and time.monotonic() < deadline:
                if client.idle_check(timeout=1):  # the server announced something: fetch now
                    break
        finally:
            client.idle_done()


def _read_ahead(client: IMAPClient) -> bool:
    """Whether the server's answer to IDLE brought more than its "+" continuation. Dovecot looks at the mailbox as
    IDLE starts and announces what arrived since the last command in the same packet; imaplib reads the "+" through
    a buffered file, which takes those lines along. `idle_check` polls the socket, which no longer has them: the
    message would wait the whole poll interval (seen in CI: the IDLE test's 15 s ran out against 30 s). Bytes left
    in that buffer, or decrypted and held by TLS, mean an announcement is waiting: the caller fetches at once, and
    `idle_done` reads the lines. The socket is asked without blocking."""
    sock = client.socket()
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return True
    timeout = sock.gettimeout()
    sock.settimeout(0.0)
    try:
        return bool(client._imap.file.peek(1))  # imaplib's buffered reader; reads the socket only if it is empty
    except OSError:  # nothing buffered and nothing to read (EAGAIN, or TLS wanting more bytes)
        return False
    finally:
        sock.settimeout(timeout)


def run(
    *, mailbox: Mailbox | None = None, once: bool = False, report: Callable | None = None, workers: int | None = None
) -> None:
    """`ingest_mail --imap`: one pass over the active mailboxes (`once`), or watch them until SIGTERM/SIGINT.

    Watching follows the mailbox table (Supervisor): a mailbox activated, added, changed or deactivated in the
    admin is picked up within INBOX_MAILBOX_RESCAN_SECONDS without restarting the process, and with no active
    mailbox the process waits for one instead of ending (systemd would give up restarting it)."""
    if once:
        boxes = [mailbox] if mailbox else list(Mailbox.objects.filter(is_active=True).select_related("queue"))
        for box in boxes:
            try:
                Watcher(box, report=report, workers=workers).run_once()
            except Exception as exc:
                log.error("mailbox %s: %s", box.name, exc)
        return
    supervisor = Supervisor(only=mailbox, report=report, workers=workers)

    def stop(*_args: object) -> None:
        supervisor.stop.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    supervisor.run()


def _fingerprint(mailbox: Mailbox) -> tuple:
    """Every stored setting of the mailbox: a watcher started with other values is restarted."""
    return tuple(getattr(mailbox, field.attname) for field in Mailbox._meta.concrete_fields)


class Supervisor:
    """One watcher thread per active mailbox, kept in step with the mailbox table.

    Every INBOX_MAILBOX_RESCAN_SECONDS the active mailboxes are read again: a new one gets a watcher, one
    deactivated or deleted has its watcher stopped (it finishes the batch in hand and releases its lease), and
    one whose settings changed (server, login, folder, queue…) is stopped and started afresh with them. A
    watcher thread that died is started again. The database being unreachable only postpones the rescan."""

    def __init__(
        self,
        *,
        only: Mailbox | None = None,
        report: Callable | None = None,
        workers: int | None = None,
        start: Callable[[Mailbox], Watcher] | None = None,
    ) -> None:
        self.only = only
        self.report = report
        self.workers = workers
        self.start = start or self._start
        self.stop = threading.Event()
        self.running: dict[int, tuple[tuple, Watcher, threading.Thread]] = {}

    def _start(self, mailbox: Mailbox) -> Watcher:
        return Watcher(mailbox, report=self.report, workers=self.workers)

    def _active(self) -> list[Mailbox]:
        boxes = Mailbox.objects.select_related("queue").order_by("pk")
        # --mailbox NAME: that one, active or not (the operator asked for it); else every active one
        boxes = boxes.filter(pk=self.only.pk) if self.only is not None else boxes.filter(is_active=True)
        return list(boxes)

    def reconcile(self, boxes: list[Mailbox]) -> None:
        """Start, stop and restart watchers so that exactly `boxes` are watched, each with its current settings."""
        wanted = {box.pk: box for box in boxes}
        for pk, (fingerprint, watcher, thread) in list(self.running.items()):
            box = wanted.get(pk)
            if box is not None and fingerprint == _fingerprint(box) and thread.is_alive():
                continue
            why = "deactivated" if box is None else ("changed" if thread.is_alive() else "stopped unexpectedly")
            then = "stops" if box is None else "restarts"
            log.info("mailbox %s: %s; its watcher %s", watcher.mailbox.name, why, then)
            self._halt(pk)
        for pk, box in wanted.items():
            if pk not in self.running:
                watcher = self.start(box)
                thread = threading.Thread(target=watcher.watch, name=f"imap-{box.name}", daemon=True)
                thread.start()
                self.running[pk] = (_fingerprint(box), watcher, thread)
        if not self.running:
            log.info("no active mailbox: waiting for one (rescan every %ss)", settings.INBOX_MAILBOX_RESCAN_SECONDS)

    def _halt(self, pk: int) -> None:
        _settings, watcher, thread = self.running.pop(pk)
        watcher.stop.set()
        thread.join(timeout=settings.INBOX_IMAP_TIMEOUT + 5)

    def run(self) -> None:
        while not self.stop.is_set():
            close_old_connections()
            try:
                boxes = self._active()
            except DatabaseError as exc:
                log.warning("mailboxes not read (%s); trying again in %ss", exc, settings.INBOX_MAILBOX_RESCAN_SECONDS)
            else:
                self.reconcile(boxes)
            self.stop.wait(settings.INBOX_MAILBOX_RESCAN_SECONDS)
        for pk in list(self.running):
            self._halt(pk)
        connection.close()
