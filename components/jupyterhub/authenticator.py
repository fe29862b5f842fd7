"""Workshop accounts for JupyterHub: user name -> bcrypt hash, from a JSON file.

The Pulumi program writes the file into a Kubernetes Secret (the hashes of
`random.RandomPassword`s) and mounts it into the hub; the chart's hub loads this
module through `hub.extraFiles` / `hub.extraConfig`. The file is read again
whenever it changes, so adding accounts needs no hub restart.

Exactly the users in the file may log in (`check_allowed`), which is the allow
rule JupyterHub 5 requires. Wrong passwords, empty passwords and unknown users
are refused the same way and take the same time: an unknown user is checked
against a dummy hash of the same bcrypt cost.
"""

import asyncio
import json
import os

import bcrypt
from jupyterhub.auth import Authenticator
from traitlets import Unicode

# bcrypt only uses the first 72 bytes: the provider that made the hashes truncates there, and
# bcrypt >= 5 (the chart's hub image) raises on longer input instead of truncating.
BCRYPT_MAX_BYTES = 72
DEFAULT_COST = 10


def _cost(bcrypt_hash):
    """The cost factor of a `$2a$10$...` hash, or None if it is not a bcrypt hash."""
    parts = bcrypt_hash.split("$")
    if len(parts) != 4 or parts[1] not in ("2a", "2b", "2y") or not parts[2].isdigit():
        return None
    return int(parts[2])


class PregeneratedAuthenticator(Authenticator):
    credentials_path = Unicode(
        "",
        help="JSON file mapping each user name to the bcrypt hash of its password.",
    ).tag(config=True, allow_config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._file_state = None
        self._hashes = {}
        self._dummy_hash = bcrypt.hashpw(b"no such user", bcrypt.gensalt(DEFAULT_COST)).decode()

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

    async def authenticate(self, handler, data):
        username = self.normalize_username((data or {}).get("username") or "")
        password = ((data or {}).get("password") or "").encode("utf-8")[:BCRYPT_MAX_BYTES]
        known = self._credentials().get(username)
        # Always one bcrypt check, so that an unknown name costs as much as a wrong password.
        matches = await asyncio.get_running_loop().run_in_executor(
            None, bcrypt.checkpw, password, (known or self._dummy_hash).encode()
        )
        if known is None or not password or not matches:
            return None
        return username

    def check_allowed(self, username, authentication=None):
        return username in self._credentials()
