<?php

declare(strict_types=1);

namespace M2mAuth\Laravel;

/**
 * A refusal of a protected request, answered per RFC 6750 §3 as the Node adapters of
 * @m2m-auth/verifier answer it: status, a `WWW-Authenticate: Bearer …` challenge and a JSON body
 * `{error, error_description}` (no `error` when no token was sent at all, §3.1).
 */
final class BearerError extends \RuntimeException
{
    /**
     * @param int         $status      401, 400 or 403 (503 when keys cannot be loaded)
     * @param string|null $error       invalid_token, invalid_request, insufficient_scope, or null
     * @param string[]    $scopes      required scopes, for insufficient_scope
     */
    public function __construct(
        public readonly int $status,
        public readonly ?string $error,
        public readonly string $description,
        public readonly array $scopes = [],
    ) {
        parent::__construct($description);
    }

    /** The `WWW-Authenticate` header value for `realm` (RFC 6750 §3). */
    public function challenge(string $realm): string
    {
        $params = ['realm="' . self::quote($realm) . '"'];
        if ($this->error !== null) {
            $params[] = 'error="' . $this->error . '"';
            $params[] = 'error_description="' . self::quote($this->description) . '"';
        }
        if ($this->scopes !== []) {
            $params[] = 'scope="' . self::quote(implode(' ', $this->scopes)) . '"';
        }
        return 'Bearer ' . implode(', ', $params);
    }

    /** The JSON body of the answer. */
    public function body(): array
    {
        return $this->error === null
            ? ['error' => 'invalid_request', 'error_description' => $this->description]
            : ['error' => $this->error, 'error_description' => $this->description];
    }

    private static function quote(string $value): string
    {
        return str_replace(['\\', '"'], ['\\\\', '\\"'], $value);
    }
}
