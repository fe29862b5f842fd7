"""Workshop accounts for JupyterHub: user name -> bcrypt hash, from a JSON file.

The Pulumi program writes the file into a Kubernetes Secret (the hashes of
`random.RandomPassword`s) and mounts it into the hub; the chart's hub loads this
module through `hub.extraFiles` / `hub.extraConfig`. The file is read again
whenever it changes, so adding accounts needs no hub restart.

Exactly the users in the file may log in (`check_allowed`), which is the allow
rule JupyterHub 5 requires. Wrong passwords, empty passwords and unknown users
are refused the same way and take the same time: an unknown user is checked
against a dummy hash of the same bcrypt cost.

Login floods: every check costs one bcrypt hash (tens of milliseconds of CPU),
so attempts are throttled before they are hashed, in two ways that do not
punish a room behind one NAT address:
- per user name: after `free_failures` failed attempts, the name waits
  `backoff_first_seconds` (1 s), then twice as long after each further failure,
  at most `backoff_max_seconds`, before its next check, and only one of its
  checks runs at a time; a success forgets the failures (unknown names are
  treated exactly like known ones, so that the answers tell no account apart);
- for the whole hub: at most `max_concurrent_checks` hashes run at once and
  `max_waiting_checks` more wait their turn; an attempt beyond that is refused
  at once.
A throttled attempt is answered 429 with Retry-After (JupyterHub's write_error
sends an HTTPError's `headers`, as its own spawn throttle does:
jupyterhub/handlers/base.py), and nothing is hashed for it.

Attendees' accounts (`attendee_users`) are never hub admins: they are dropped
from `admin_users` at start, and `is_admin` says False for them at every login
(which also revokes an admin flag the database kept from before).
"""

import asyncio
import json
import math
import os
import time
from collections import OrderedDict

import bcrypt
from jupyterhub.auth import Authenticator
from tornado import web
from traitlets import Integer, Set, Unicode

# bcrypt only uses the first 72 bytes: the provider that made the hashes truncates there, and
# bcrypt >= 5 (the chart's hub image) raises on longer input instead of truncating.
BCRYPT_MAX_BYTES = 72
DEFAULT_COST = 10
# A user name is tracked by at most this many characters: an account name has at most 32, and a
# flood of huge names must not grow memory.
NAME_KEY_CHARS = 64


def _cost(bcrypt_hash):
    """The cost factor of a `$2a$10$...` hash, or None if it is not a bcrypt hash."""
    parts = bcrypt_hash.split("$")
    if len(parts) != 4 or parts[1] not in ("2a", "2b", "2y") or not parts[2].isdigit():
        return None
    return int(parts[2])


def _seconds_text(seconds):
    return "1 second" if seconds == 1 else f"{seconds} seconds"


class _NameRecord:
    """Failed attempts of one user name, and its checks in progress."""

    __slots__ = ("failures", "locked_until", "in_flight", "last_failure")

    def __init__(self):
        self.failures = 0
        self.locked_until = 0.0
        self.in_flight = 0
        self.last_failure = 0.0


class PregeneratedAuthenticator(Authenticator):
    credentials_path = Unicode(
        "",
        help="JSON file mapping each user name to the bcrypt hash of its password.",
    ).tag(config=True, allow_config=True)

    attendee_users = Set(
        help="Accounts handed to attendees: never hub admins, whatever admin_users says.",
    ).tag(config=True)

    max_concurrent_checks = Integer(
        1,
        help="bcrypt checks that run at once (keep it below the hub's CPU limit: the event loop needs the rest).",
    ).tag(config=True)

    max_waiting_checks = Integer(
        64,
        help="Attempts that may wait for a check; beyond them an attempt is answered 429 at once.",
    ).tag(config=True)

    free_failures = Integer(5, help="Failed attempts of a user name before it waits between attempts.").tag(config=True)

    backoff_first_seconds = Integer(1, help="The first wait of a user name; it doubles with every further failure.").tag(
        config=True
    )

    backoff_max_seconds = Integer(60, help="The longest wait of a user name between attempts.").tag(config=True)

    failure_memory_seconds = Integer(
        900,
        help="Failures of a user name older than this are forgotten.",
    ).tag(config=True)

    tracked_names = Integer(10000, help="User names whose failures are remembered at once (the oldest go first).").tag(
        config=True
    )

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._file_state = None
        self._hashes = {}
        self._dummy_hash = bcrypt.hashpw(b"no such user", bcrypt.gensalt(DEFAULT_COST)).decode()
        self._names = OrderedDict()
        self._active = 0
        self._slots = asyncio.Semaphore(self.max_concurrent_checks)
        self._check_seconds = 0.1
        clash = self.admin_users & self.attendee_users
        if clash:
            self.log.error(
                "Not making attendee accounts hub admins: %s (in both admin_users and attendee_users)",
                ", ".join(sorted(clash)),
            )
            self.admin_users = self.admin_users - clash

    def _credentials(self):
        """The current user -> hash map, read again when the file's identity, size or mtime changed."""
        try:
            st = os.stat(self.credentials_path)
        except OSError as e:
            # Fail closed: without the file nobody logs in.
            self.log.error("Credentials file %s unreadable: %s", self.credentials_path, e)
            self._file_state = None
            self._hashes = {}
            return self._hashes
        state = (st.st_ino, st.st_size, st.st_mtime_ns)
        if state == self._file_state:
            return self._hashes
        try:
            with open(self.credentials_path, encoding="utf-8") as f:
                raw = json.load(f)
            if not isinstance(raw, dict):
                raise ValueError("expected a JSON object of user name -> bcrypt hash")
        except (OSError, ValueError) as e:
            # A file caught mid-update: keep the last good accounts and try again on the next login.
            self.log.error("Credentials file %s not loaded, keeping %d accounts: %s", self.credentials_path, len(self._hashes), e)
            return self._hashes
        hashes = {}
        for name, value in raw.items():
            if isinstance(value, str) and _cost(value) is not None:
                hashes[self.normalize_username(name)] = value
            else:
                self.log.error("Credentials file %s: entry for %r is not a bcrypt hash; ignored", self.credentials_path, name)
        costs = {_cost(h) for h in hashes.values()}
        cost = max(costs) if costs else DEFAULT_COST
        if _cost(self._dummy_hash) != cost:
            self._dummy_hash = bcrypt.hashpw(b"no such user", bcrypt.gensalt(cost)).decode()
        self._file_state = state
        self._hashes = hashes
        self.log.info("Loaded %d accounts from %s", len(hashes), self.credentials_path)
        return hashes

    # ---- throttling -------------------------------------------------------------------------

    def _too_many(self, seconds, message):
        seconds = max(1, math.ceil(seconds))
        error = web.HTTPError(429, message.format(_seconds_text(seconds)))
        # Sent by JupyterHub's write_error (the handler clears headers set before an error).
        error.headers = {"Retry-After": str(seconds)}
        return error

    def _record(self, key, now):
        record = self._names.get(key)
        if record is not None and record.in_flight == 0 and now - record.last_failure > self.failure_memory_seconds:
            record = None
        if record is None:
            record = _NameRecord()
            self._names[key] = record
        self._names.move_to_end(key)
        self._forget_oldest()
        return record

    def _forget_oldest(self):
        """Keeps at most `tracked_names` records, the newest; one with a check in progress stays."""
        for key in list(self._names)[:-1]:
            if len(self._names) <= self.tracked_names:
                return
            if self._names[key].in_flight == 0:
                del self._names[key]

    def _admit(self, key):
        """The name's record once the attempt may be checked; raises 429 (nothing hashed) when it may not."""
        now = time.monotonic()
        record = self._record(key, now)
        backing_off = record.failures >= self.free_failures
        if backing_off and (now < record.locked_until or record.in_flight > 0):
            raise self._too_many(
                record.locked_until - now,
                "Too many failed logins for this user name. Try again in {}.",
            )
        if not backing_off and record.failures + record.in_flight >= self.free_failures:
            raise self._too_many(self._check_seconds, "Too many logins for this user name at once. Try again in {}.")
        if self._active >= self.max_concurrent_checks + self.max_waiting_checks:
            drain = self._active * self._check_seconds / self.max_concurrent_checks
            raise self._too_many(drain, "The hub is busy checking other logins. Try again in {}.")
        record.in_flight += 1
        return record

    def _settle(self, key, record, success):
        record.in_flight -= 1
        now = time.monotonic()
        if success:
            record.failures = 0
            record.locked_until = 0.0
            if record.in_flight == 0:
                self._names.pop(key, None)
            return
        record.failures += 1
        record.last_failure = now
        over = record.failures - self.free_failures
        if over >= 0:
            record.locked_until = now + min(self.backoff_first_seconds * 2**over, self.backoff_max_seconds)

    async def _checkpw(self, password, hashed):
        """One bcrypt check in a worker thread, within the bound of checks at once."""
        self._active += 1
        try:
            async with self._slots:
                started = time.monotonic()
                matches = await asyncio.get_running_loop().run_in_executor(None, bcrypt.checkpw, password, hashed)
                self._check_seconds = 0.8 * self._check_seconds + 0.2 * (time.monotonic() - started)
                return matches
        finally:
            self._active -= 1

    # ---- Authenticator ------------------------------------------------------------------------

    async def authenticate(self, handler, data):
        username = self.normalize_username((data or {}).get("username") or "")
        password = ((data or {}).get("password") or "").encode("utf-8")[:BCRYPT_MAX_BYTES]
        key = username[:NAME_KEY_CHARS]
        record = self._admit(key)
        success = False
        try:
            known = self._credentials().get(username)
            # Always one bcrypt check, so that an unknown name costs as much as a wrong password.
            matches = await self._checkpw(password, (known or self._dummy_hash).encode())
            success = known is not None and bool(password) and matches
        finally:
            self._settle(key, record, success)
        return username if success else None

    def check_allowed(self, username, authentication=None):
        return username in self._credentials()

    def is_admin(self, handler, authentication):
        if authentication["name"] in self.attendee_users:
            return False
        return super().is_admin(handler, authentication)
