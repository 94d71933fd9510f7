"""Token request with Python Authlib's private_key_jwt (RFC 7523), for the interop test.

Usage: authlib_private_key_jwt.py <token_url> <client_id> <private_key_pem_file> <alg> <mode>
mode: "default" uses Authlib's PrivateKeyJWT as it is (aud = token endpoint, exp = iat + 3600);
"short" signs each assertion with a 60 s lifetime, as m2m-auth's default bound asks.
Makes two token requests and prints what each gave, as JSON, on stdout.
"""
import json
import sys

from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT, private_key_jwt_sign


class ShortLivedPrivateKeyJWT(PrivateKeyJWT):
    """Authlib's PrivateKeyJWT with a 60 s assertion lifetime and a fresh jti per request."""

    def sign(self, auth, token_endpoint):
        return private_key_jwt_sign(
            auth.client_secret,
            client_id=auth.client_id,
            token_endpoint=token_endpoint,
            alg=self.alg,
            expires_in=60,
        )


def main():
    token_url, client_id, key_file, alg, mode = sys.argv[1:6]
    with open(key_file) as f:
        private_key = f.read()
    method = (ShortLivedPrivateKeyJWT if mode == "short" else PrivateKeyJWT)(token_url, alg=alg)
    session = OAuth2Session(client_id, private_key, token_endpoint_auth_method=method)
    answers = []
    for _ in range(2):
        try:
            token = session.fetch_token(
                token_url, grant_type="client_credentials", audience="ms_doctor"
            )
            answers.append({"ok": True, "token_type": token.get("token_type")})
        except Exception as err:  # Authlib raises its OAuthError for an error answer
            answers.append({"ok": False, "error": getattr(err, "error", type(err).__name__)})
    print(json.dumps(answers))


if __name__ == "__main__":
    main()
