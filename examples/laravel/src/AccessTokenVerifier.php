<?php

declare(strict_types=1);

namespace M2mAuth\Laravel;

use Firebase\JWT\BeforeValidException;
use Firebase\JWT\ExpiredException;
use Firebase\JWT\JWK;
use Firebase\JWT\JWT;
use Firebase\JWT\Key;
use Firebase\JWT\SignatureInvalidException;

/**
 * Verifies m2m-auth access tokens (RFC 9068 JWTs) in a PHP service with firebase/php-jwt, as
 * @m2m-auth/verifier does in Node: signature with the auth-service's public key file
 * (`oauth-public.key`, written by `m2m-auth keys export-public` or `provision`) or its JWKS,
 * header `typ: at+jwt`, `exp` required (and `nbf`/`iat` not in the future), `iss` = the issuer,
 * `aud` naming this service, and the required scopes in the space-delimited `scope` claim.
 *
 * Framework-free, so that the Laravel middleware and any other PHP entry point share it.
 */
final class AccessTokenVerifier
{
    /** @var array<string, Key>|Key|null */
    private array|Key|null $keys = null;
    private int $keysFetchedAt = 0;

    /**
     * @param string      $issuer        exact `iss` of the auth-service (its base URL)
     * @param string      $audience      this service's name, e.g. `ms_doctor`
     * @param string|null $publicKeyPath PEM public key file (OAUTH_PUBLIC_KEY_PATH)
     * @param string|null $jwksUri       or the JWKS URL (`<issuer>/.well-known/jwks.json`)
     * @param int         $leewaySec     clock skew tolerated on exp/nbf/iat, seconds
     * @param string|null $passportPublicKeyPath while callers move from Laravel Passport: also
     *        accept Passport-shaped tokens (header `typ: JWT`) signed with this key (Passport's
     *        `oauth-public.key`), reading their `scopes` array as Passport does. Chosen by `typ`,
     *        never by trying keys. Remove it once no caller holds such a token.
     */
    public function __construct(
        private readonly string $issuer,
        private readonly string $audience,
        private readonly ?string $publicKeyPath = null,
        private readonly ?string $jwksUri = null,
        private readonly int $leewaySec = 30,
        private readonly ?string $passportPublicKeyPath = null,
    ) {
        if (($publicKeyPath === null) === ($jwksUri === null)) {
            throw new \InvalidArgumentException('give exactly one of publicKeyPath and jwksUri');
        }
    }

    /** From the environment: M2M_AUTH_ISSUER, M2M_AUTH_AUDIENCE, OAUTH_PUBLIC_KEY_PATH or M2M_AUTH_JWKS_URI. */
    public static function fromEnv(): self
    {
        $path = getenv('OAUTH_PUBLIC_KEY_PATH') ?: null;
        $jwks = getenv('M2M_AUTH_JWKS_URI') ?: null;
        return new self(
            (string) getenv('M2M_AUTH_ISSUER'),
            (string) getenv('M2M_AUTH_AUDIENCE'),
            $jwks === null ? $path : null,
            $jwks,
            30,
            getenv('M2M_AUTH_PASSPORT_PUBLIC_KEY_PATH') ?: null,
        );
    }

    public function realm(): string
    {
        return $this->audience;
    }

    /**
     * Verifies the bearer token of an `Authorization` header and returns its claims.
     *
     * @param string[] $requiredScopes
     * @throws BearerError the refusal to send back
     */
    public function authenticate(?string $authorization, array $requiredScopes = []): \stdClass
    {
        if ($authorization === null || $authorization === '') {
            throw new BearerError(401, null, 'no access token');
        }
        if (!preg_match('/^Bearer ([A-Za-z0-9\-._~+\/]+=*)$/i', $authorization, $m)) {
            throw new BearerError(400, 'invalid_request', 'Authorization header is not "Bearer <token>"');
        }
        $token = $m[1];
        if ($this->passportPublicKeyPath !== null && self::typOf($token) === 'jwt') {
            $claims = $this->verifyPassport($token);
            $granted = $claims->scopes;
            if (in_array('*', $granted, true)) {
                return $claims;
            }
        } else {
            $claims = $this->verify($token);
            $granted = isset($claims->scope) && is_string($claims->scope) && $claims->scope !== ''
                ? explode(' ', $claims->scope)
                : [];
        }
        $missing = array_values(array_diff($requiredScopes, $granted));
        if ($missing !== []) {
            throw new BearerError(403, 'insufficient_scope', 'token lacks a required scope', $requiredScopes);
        }
        return $claims;
    }

    private function verify(string $token): \stdClass
    {
        JWT::$leeway = $this->leewaySec;
        // php-jwt fills $header only when given an object.
        $header = new \stdClass();
        try {
            $claims = JWT::decode($token, $this->keys(false), $header);
        } catch (\UnexpectedValueException $e) {
            // An unknown kid may be a key published since the last fetch: fetch once more.
            if ($this->jwksUri !== null && str_contains($e->getMessage(), 'kid')) {
                $claims = $this->decodeOrRefuse($token, $this->keys(true), $header);
            } else {
                throw self::refusal($e);
            }
        } catch (\Throwable $e) {
            throw self::refusal($e);
        }
        $typ = is_string($header->typ ?? null) ? strtolower($header->typ) : '';
        if ($typ !== 'at+jwt' && $typ !== 'application/at+jwt') {
            throw new BearerError(401, 'invalid_token', 'typ header is not at+jwt');
        }
        if (!isset($claims->exp)) {
            throw new BearerError(401, 'invalid_token', 'exp claim is missing');
        }
        if (($claims->iss ?? null) !== $this->issuer) {
            throw new BearerError(401, 'invalid_token', 'iss claim is not the expected issuer');
        }
        $aud = $claims->aud ?? null;
        $audiences = is_array($aud) ? $aud : [$aud];
        if (!in_array($this->audience, $audiences, true)) {
            throw new BearerError(401, 'invalid_token', 'aud claim does not name this service');
        }
        return $claims;
    }

    /** The token's `typ`, lower-case without `application/`, read before any verification. */
    private static function typOf(string $token): string
    {
        $header = json_decode(JWT::urlsafeB64Decode(explode('.', $token)[0]));
        $typ = is_object($header) && is_string($header->typ ?? null) ? strtolower($header->typ) : '';
        return str_starts_with($typ, 'application/') ? substr($typ, 12) : $typ;
    }

    /** A Passport-shaped token: Passport's key, `exp` required, `scopes` an array of strings. */
    private function verifyPassport(string $token): \stdClass
    {
        $pem = @file_get_contents((string) $this->passportPublicKeyPath);
        if ($pem === false) {
            throw new BearerError(503, 'temporarily_unavailable', 'Passport public key file cannot be read');
        }
        JWT::$leeway = $this->leewaySec;
        $claims = $this->decodeOrRefuse($token, new Key($pem, 'RS256'), $header);
        if (!isset($claims->exp)) {
            throw new BearerError(401, 'invalid_token', 'exp claim is missing');
        }
        $scopes = $claims->scopes ?? [];
        if (!is_array($scopes) || array_filter($scopes, fn ($s) => !is_string($s)) !== []) {
            throw new BearerError(401, 'invalid_token', 'scopes claim is not an array of strings');
        }
        $claims->scopes = $scopes;
        $claims->client_id ??= is_string($claims->aud ?? null) ? $claims->aud : null;
        return $claims;
    }

    private function decodeOrRefuse(string $token, array|Key $keys, ?\stdClass &$header): \stdClass
    {
        try {
            return JWT::decode($token, $keys, $header);
        } catch (\Throwable $e) {
            throw self::refusal($e);
        }
    }

    private static function refusal(\Throwable $e): BearerError
    {
        return match (true) {
            $e instanceof ExpiredException => new BearerError(401, 'invalid_token', 'token expired'),
            $e instanceof BeforeValidException => new BearerError(401, 'invalid_token', 'token is not valid yet'),
            $e instanceof SignatureInvalidException => new BearerError(401, 'invalid_token', 'token signature is invalid'),
            default => new BearerError(401, 'invalid_token', 'token is malformed or signed with an unknown key'),
        };
    }

    /** @return array<string, Key>|Key */
    private function keys(bool $refetch): array|Key
    {
        if ($this->publicKeyPath !== null) {
            if ($this->keys === null) {
                $pem = @file_get_contents($this->publicKeyPath);
                if ($pem === false) {
                    throw new BearerError(503, 'temporarily_unavailable', 'public key file cannot be read');
                }
                $details = openssl_pkey_get_details(openssl_pkey_get_public($pem));
                $alg = ($details['type'] ?? null) === OPENSSL_KEYTYPE_EC ? 'ES256' : 'RS256';
                $this->keys = new Key($pem, $alg);
            }
            return $this->keys;
        }
        // Refetch at most every 30 s, so that random kids cannot make us hammer the auth-service.
        if ($this->keys === null || ($refetch && time() - $this->keysFetchedAt >= 30)) {
            $json = @file_get_contents((string) $this->jwksUri, false, stream_context_create(['http' => ['timeout' => 5]]));
            $set = $json === false ? null : json_decode($json, true);
            if (!is_array($set)) {
                if ($this->keys !== null) {
                    return $this->keys;
                }
                throw new BearerError(503, 'temporarily_unavailable', 'JWKS cannot be fetched');
            }
            $this->keys = JWK::parseKeySet($set);
            $this->keysFetchedAt = time();
        }
        return $this->keys;
    }
}
