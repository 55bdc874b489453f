"""`openpoam start` makes its administrator an owner of the demo organization, so the
README's API example (a token, then a call) works for them as written."""

from __future__ import annotations

import json
import urllib.request

from tests.process import Openpoam, environment, fresh_database, serving


def test_the_start_admin_owns_the_demo_and_can_use_the_api(tmp_path):
    with fresh_database() as url:
        env = environment(tmp_path / "data", url)
        with serving(env, "start") as server:
            assert any("admin is an owner of the demo organization 'redstone'" in line
                       for line in server.lines), server.lines
            made = Openpoam(env)("token", "create", "--user", "admin", "--org", "redstone",
                                 "--name", "readme example")
            assert made.code == 0, made.err
            token = made.out.strip().splitlines()[-1]
            request = urllib.request.Request(
                f"{server.url}/api/v1/orgs/redstone/systems/cui-enclave/items?status=delayed",
                headers={"Authorization": f"Bearer {token}"})
            with urllib.request.urlopen(request, timeout=60) as answer:
                assert answer.status == 200 and "items" in json.loads(answer.read())
        with serving(env, "start") as again:  # a second start adds nothing, says nothing
            assert not any("owner of the demo" in line for line in again.lines)
