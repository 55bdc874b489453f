"""Claims from people.json (read at each sign-in, so a test can change someone's groups at
the provider), and, when $PROVIDER_DIR/mode says so, an ID token that a client must refuse."""

import json
import time

from jwcrypto import jwk, jwt
from oauth2_provider.oauth2_validators import OAuth2Validator

from tests.sso.provider.settings import DIR


def person(username: str) -> dict:
    return json.loads((DIR / "people.json").read_text()).get(username, {})


def mode() -> str:
    path = DIR / "mode"
    return path.read_text().strip() if path.exists() else ""


class Validator(OAuth2Validator):
    oidc_claim_scope = None  # every claim below goes into the ID token

    def get_additional_claims(self, request):
        user = request.user
        entry = person(user.username)
        claims = {"preferred_username": user.username, "email": user.email,
                  "email_verified": True, "groups": entry.get("groups", [])}
        if entry.get("amr"):
            claims["amr"] = entry["amr"]
        return claims

    def finalize_id_token(self, id_token, token, token_handler, request):
        signed = super().finalize_id_token(id_token, token, token_handler, request)
        how = mode()
        if not how:
            return signed
        parsed = jwt.JWT(jwt=signed, key=request.client.jwk_key)
        claims = json.loads(parsed.claims)
        header = json.loads(parsed.header)
        key = request.client.jwk_key
        if how == "forged":  # same key id, someone else's key
            key = jwk.JWK.generate(kty="RSA", size=2048)
        elif how == "expired":
            claims["iat"], claims["exp"] = int(time.time()) - 7200, int(time.time()) - 3600
        elif how == "audience":
            claims["aud"] = "some-other-client"
        elif how == "audience-azp":  # issued to another client, naming ours as the party
            claims["aud"], claims["azp"] = "some-other-client", claims["aud"]
        elif how == "nonce":  # a token minted for an earlier sign-in
            claims["nonce"] = "an-old-nonce"
        token_ = jwt.JWT(header=header, claims=claims)
        token_.make_signed_token(key)
        return token_.serialize()
