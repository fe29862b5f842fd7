"""Drives PregeneratedAuthenticator outside a hub, for test/jupyterhub/authenticator.test.ts.

Runs in the hub root (chroot) with JupyterHub 5 importable. Usage:
    python3 authenticator_probe.py MODULE_DIR CREDENTIALS_PATH < steps.json
Each step is {"op": "authenticate", "username", "password"} | {"op": "allowed", "username"} |
{"op": "write", "content"} | {"op": "remove"}. Prints one JSON list: per step the result and the
bcrypt hashes checked during it.
"""

import asyncio
import json
import os
import sys

module_dir, credentials_path = sys.argv[1], sys.argv[2]
sys.path.insert(0, module_dir)

import bcrypt  # noqa: E402
from esiphub_authenticator import PregeneratedAuthenticator  # noqa: E402

checked = []
_checkpw = bcrypt.checkpw


def spying_checkpw(password, hashed):
    checked.append(hashed.decode())
    return _checkpw(password, hashed)


bcrypt.checkpw = spying_checkpw


async def main():
    auth = PregeneratedAuthenticator(credentials_path=credentials_path)
    out = []
    for step in json.load(sys.stdin):
        checked.clear()
        op = step["op"]
        if op == "authenticate":
            result = await auth.authenticate(None, {"username": step["username"], "password": step["password"]})
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
