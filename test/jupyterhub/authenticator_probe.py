"""Drives PregeneratedAuthenticator outside a hub, for test/jupyterhub/authenticator.test.ts.

Runs in the hub root (chroot) with JupyterHub 5 importable. Usage:
    python3 authenticator_probe.py MODULE_DIR CREDENTIALS_PATH < steps.json
Each step is {"op": "authenticate", "username", "password"} | {"op": "allowed", "username"} |
{"op": "write", "content"} | {"op": "remove"} |
{"op": "configure", "traits": {...}}: a new authenticator with these traits (and a fresh clock) |
{"op": "burst", "attempts": [{"username", "password"}, ...]}: all at once, as concurrent requests |
{"op": "advance", "seconds"}: the authenticator's clock moves on |
{"op": "is_admin", "username"} | {"op": "admins"} | {"op": "tracked"}: the user names it remembers.
Prints one JSON list: per step the result and the bcrypt hashes checked during it. An attempt refused
with an HTTP error (429) gives {"status", "retry_after", "message"} as its result.
"""

import asyncio
import json
import os
import sys

module_dir, credentials_path = sys.argv[1], sys.argv[2]
sys.path.insert(0, module_dir)

import bcrypt  # noqa: E402
import esiphub_authenticator  # noqa: E402
from esiphub_authenticator import PregeneratedAuthenticator  # noqa: E402
from tornado import web  # noqa: E402

checked = []
_checkpw = bcrypt.checkpw


def spying_checkpw(password, hashed):
    checked.append(hashed.decode())
    return _checkpw(password, hashed)


bcrypt.checkpw = spying_checkpw


class Clock:
    """The authenticator's `time`, moved on by "advance" steps (asyncio keeps the real clock)."""

    def __init__(self):
        self.now = 1000.0

    def monotonic(self):
        return self.now


async def attempt(auth, username, password):
    try:
        return await auth.authenticate(None, {"username": username, "password": password})
    except web.HTTPError as e:
        headers = getattr(e, "headers", None) or {}
        return {"status": e.status_code, "retry_after": headers.get("Retry-After"), "message": e.log_message}


async def main():
    clock = Clock()
    esiphub_authenticator.time = clock
    auth = PregeneratedAuthenticator(credentials_path=credentials_path)
    out = []
    for step in json.load(sys.stdin):
        checked.clear()
        op = step["op"]
        if op == "authenticate":
            result = await attempt(auth, step["username"], step["password"])
        elif op == "configure":
            clock.now = 1000.0
            auth = PregeneratedAuthenticator(credentials_path=credentials_path, **step["traits"])
            result = None
        elif op == "burst":
            result = await asyncio.gather(*(attempt(auth, a["username"], a["password"]) for a in step["attempts"]))
        elif op == "advance":
            clock.now += step["seconds"]
            result = None
        elif op == "is_admin":
            result = auth.is_admin(None, {"name": step["username"]})
        elif op == "admins":
            result = sorted(auth.admin_users)
        elif op == "tracked":
            result = sorted(auth._names)
        elif op == "allowed":
            result = auth.check_allowed(step["username"])
        elif op == "write":
            with open(credentials_path, "w", encoding="utf-8") as f:
                f.write(step["content"])
            result = None
        elif op == "remove":
            os.remove(credentials_path)
            result = None
        else:
            raise ValueError(f"unknown op {op!r}")
        out.append({"op": op, "result": result, "checked": list(checked)})
    print(json.dumps(out))


asyncio.run(main())
