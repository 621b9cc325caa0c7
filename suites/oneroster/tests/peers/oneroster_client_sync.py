"""One sync with the PyPI `oneroster` 0.0.17 client (ClassLink connector).

Run by the `oneroster-consumer` suite as its `trigger_command`
(suites/oneroster/tests/interop_oneroster_client.rs). It reads every user
through `ClasslinkConnector.get_users(user_filter="users")`, the library's own
entry point: URL building, `rel="next"` paging and response parsing are the
library's.

Modes:
  library      the library unmodified: it signs requests with OAuth 1.0a
               (HMAC-SHA256), as ClassLink's OneRoster 1.1 service expects,
               pointed at the SIS's 1.2 base.
  library-v1p1 the library unmodified, pointed at the SIS's OneRoster 1.1 base
               (/ims/oneroster/v1p1/), where OAuth 1.0a is the binding.
  bearer-shim  the library's request signer (`classlink.ClasslinkAPI`) is
               replaced by a shim that sends an OAuth 2 bearer token (obtained
               here with client_secret_basic), so the rest of the library can
               be judged against a OneRoster 1.2 SIS. Everything but the
               signer, and the token request, is the library's code.

Exit status: 0 when the sync returned, 1 when the library raised (printed).
"""

import argparse
import sys

import requests

import oneroster
from oneroster import classlink


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--sis", required=True, help="SIS origin, http://host:port")
    p.add_argument("--client-id", required=True)
    p.add_argument("--client-secret-file", required=True)
    p.add_argument("--mode", choices=["library", "library-v1p1", "bearer-shim"], required=True)
    a = p.parse_args()
    with open(a.client_secret_file, encoding="utf-8") as f:
        secret = f.read().strip()

    if a.mode == "bearer-shim":
        r = requests.post(
            a.sis + "/ims/oneroster/oauth2/token",
            auth=(a.client_id, secret),
            data={"grant_type": "client_credentials"},
            timeout=10,
        )
        r.raise_for_status()
        token = r.json()["access_token"]

        class BearerAPI:
            """Stands in for classlink.ClasslinkAPI: same method, OAuth 2 bearer."""

            def __init__(self, *_args):
                pass

            def make_roster_request(self, url):
                return requests.get(url, headers={"Authorization": "Bearer " + token}, timeout=10)

        classlink.ClasslinkAPI = BearerAPI

    base = "/ims/oneroster/v1p1/" if a.mode == "library-v1p1" else "/ims/oneroster/rostering/v1p2/"
    conn = oneroster.ClasslinkConnector(
        host=a.sis + base,
        client_id=a.client_id,
        client_secret=secret,
    )
    try:
        users = conn.get_users(user_filter="users")
    except Exception as e:  # the library raises on any non-200
        print(f"sync failed: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print(f"{len(users)} users", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
