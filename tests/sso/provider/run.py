"""Start the test provider: `python -m tests.sso.provider.run DIR CLIENT_ID SECRET REDIRECT
POST_LOGOUT`. Creates its database, key, people and client, then serves on a free port and
prints `PORT <n>` once it listens."""

import json
import os
import sys
from pathlib import Path


def main() -> None:
    folder, client_id, secret, redirect, post_logout = sys.argv[1:6]
    os.environ["PROVIDER_DIR"] = folder
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.sso.provider.settings"
    key = Path(folder) / "key.pem"
    if not key.exists():
        from jwcrypto import jwk

        key.write_bytes(jwk.JWK.generate(kty="RSA", size=2048).export_to_pem(private_key=True,
                                                                           password=None))
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from oauth2_provider.models import Application
    from waitress.server import create_server

    call_command("migrate", verbosity=0)
    for name, entry in json.loads((Path(folder) / "people.json").read_text()).items():
        user, _ = User.objects.get_or_create(username=name, defaults={"email": entry["email"]})
        user.set_password(entry["password"])
        user.save()
    Application.objects.update_or_create(client_id=client_id, defaults={
        "name": "OpenPOAM", "client_secret": secret, "client_type": "confidential",
        "authorization_grant_type": "authorization-code", "redirect_uris": redirect,
        "post_logout_redirect_uris": post_logout, "algorithm": "RS256",
        "skip_authorization": True, "hash_client_secret": True})
    from django.core.wsgi import get_wsgi_application

    server = create_server(get_wsgi_application(), host="127.0.0.1", port=0, threads=4)
    print(f"PORT {server.effective_port}", flush=True)
    server.run()


if __name__ == "__main__":
    main()
